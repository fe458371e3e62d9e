import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from './index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/metrics-prometheus': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 3,
});

describe('README', () => {
  it('documents every metric (version, plugin identity and error codes: package.test.ts)', () => {
    for (const name of METRIC_NAMES) expect(readme).toContain(`| \`flowlane_${name}\` |`);
  });
});

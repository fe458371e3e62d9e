import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docSnippetsSuite, packageConformance } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { MonitorErrorCodes, monitor } from './index.js';
import { KNOWN } from './options.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/monitor': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 3,
});

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/monitor', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => monitor({ port: 0, token: 'long-enough-token' }),
  errorCodes: MonitorErrorCodes,
  options: KNOWN,
});

describe('package', () => {
  it('ships the dashboard files', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('dashboard');
  });
});

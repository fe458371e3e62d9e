import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { KEYS as DISPATCH_KEYS } from './dispatch.js';
import { BullmqErrorCodes, bullmqDispatch } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/queue-bullmq': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 4,
});

describe('package', () => {
  it('documents every error code and option in the README', () => {
    for (const code of Object.keys(BullmqErrorCodes)) expect(readme).toContain(`| \`${code}\` |`);
    for (const option of [
      ...DISPATCH_KEYS,
      'group',
      'workflows',
      'plugins',
      'engine',
      'concurrency',
      'limiter',
      'id',
      'lockDuration',
      'stalledInterval',
      'serve',
      'serve.enqueued',
      'serve.groups',
      'serve.concurrency',
      'serve.lockDuration',
      'serve.stalledInterval',
    ])
      expect(readme).toContain(`### ${option}\n`);
  });

  it('keeps PKG_VERSION equal to package.json and names itself after the package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(PKG_VERSION).toBe(pkg.version);
    const plugin = bullmqDispatch({ connection: 'redis://127.0.0.1:6379', groups: ['gpu'] });
    expect(plugin).toMatchObject({ name: pkg.name, version: PKG_VERSION, flowlane: CORE_RANGE });
  });
});

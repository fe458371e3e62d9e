import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { RedisErrorCodes, redisStore } from './index.js';
import { KNOWN } from './options.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

docSnippetsSuite({
  docs: [
    fileURLToPath(new URL('../README.md', import.meta.url)),
    fileURLToPath(new URL('../../../docs/durability.md', import.meta.url)),
  ],
  imports: { '@flowlane/store-redis': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 4,
});

describe('package', () => {
  it('documents every error code and option in the README', () => {
    for (const code of Object.keys(RedisErrorCodes)) expect(readme).toContain(`| \`${code}\` |`);
    for (const option of KNOWN) expect(readme).toContain(`### ${option}\n`);
  });

  it('keeps PKG_VERSION equal to package.json and names itself after the package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(PKG_VERSION).toBe(pkg.version);
    const plugin = redisStore({ url: 'redis://127.0.0.1:6379' });
    expect(plugin).toMatchObject({ name: pkg.name, version: PKG_VERSION, flowlane: CORE_RANGE });
    expect(Object.isFrozen(plugin)).toBe(true);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { docSnippetsSuite } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { MonitorErrorCodes, monitor } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/monitor': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 3,
});

describe('package', () => {
  it('documents every error code and every option in the README', () => {
    for (const code of Object.keys(MonitorErrorCodes)) expect(readme).toContain(`| \`${code}\` |`);
    for (const option of [
      'port',
      'host',
      'server',
      'token',
      'authenticate',
      'allowedOrigins',
      'maxRuns',
      'maxEventsPerRun',
      'maxBufferedBytes',
      'heartbeatInterval',
      'history',
      'alerts',
    ])
      expect(readme).toContain(`### ${option}\n`);
  });

  it('keeps PKG_VERSION equal to package.json and names itself after the package', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
      files: string[];
    };
    expect(PKG_VERSION).toBe(pkg.version);
    const mon = monitor({ port: 0, token: 'long-enough-token' });
    expect(mon).toMatchObject({ name: pkg.name, version: PKG_VERSION, flowlane: CORE_RANGE });
    expect(Object.isFrozen(mon)).toBe(true);
    expect(pkg.files).toContain('dashboard');
  });
});

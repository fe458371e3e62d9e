import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowlane, PKG } from './run-cli.test-helper.js';

const run = promisify(execFile);
const REPO = join(PKG, '../..');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'flowlane-init-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * Gives a scaffolded package the node_modules an `npm install` would: the Flowlane packages of this repository
 * (unpublished, so linked rather than installed) and the exact vitest / TypeScript / @types/node they use. vitest is
 * the copy @flowlane/testing resolves, so the conformance suite registers its tests with the runner that runs them.
 */
async function linkDependencies(dir: string): Promise<void> {
  const nm = join(dir, 'node_modules');
  await mkdir(join(nm, '@flowlane'), { recursive: true });
  await mkdir(join(nm, '@types'), { recursive: true });
  const links: [string, string][] = [
    ['@flowlane/core', join(REPO, 'packages/core')],
    ['@flowlane/testing', join(REPO, 'packages/testing')],
    ['vitest', await realpath(join(REPO, 'packages/testing/node_modules/vitest'))],
    ['typescript', await realpath(join(PKG, 'node_modules/typescript'))],
    ['@types/node', await realpath(join(PKG, 'node_modules/@types/node'))],
  ];
  for (const [name, target] of links) await symlink(target, join(nm, name), 'dir');
}

describe('flowlane init plugin', () => {
  it.each(['executor', 'scheduler', 'state-store'])(
    'a %s plugin package builds, type-checks and passes its own tests (conformance suite included)',
    async (kind) => {
      const name = `@acme/flowlane-${kind}-demo`;
      const dir = join(tmp, kind);
      const init = await flowlane(['init', 'plugin', name, '--kind', kind, '--dir', dir]);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      expect(init.stdout).toMatch(new RegExp(`^✔ Created ${name} \\(${kind} plugin\\) in `));
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(pkg).toMatchObject({
        name,
        type: 'module',
        keywords: ['flowlane', 'flowlane-plugin', kind],
        peerDependencies: { '@flowlane/core': expect.stringMatching(/^\^0\./) },
      });
      const readme = await readFile(join(dir, 'README.md'), 'utf8');
      for (const section of ['## Install', '## Usage', '## Options', '## Events and error codes', '## Compatibility'])
        expect(readme).toContain(section);

      await linkDependencies(dir);
      const tsc = join(PKG, 'node_modules/.bin/tsc');
      await run(tsc, ['-p', 'tsconfig.test.json'], { cwd: dir });
      await run(tsc, ['-p', 'tsconfig.json'], { cwd: dir });
      expect((await readdir(join(dir, 'dist'))).sort()).toEqual(expect.arrayContaining(['index.d.ts', 'index.js']));
      const vitest = join(dir, 'node_modules/vitest/vitest.mjs');
      const { stdout } = await run(process.execPath, [vitest, 'run', '--reporter=dot'], {
        cwd: dir,
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      });
      expect(stdout).toMatch(/Test Files {2}2 passed \(2\)/);
      expect(stdout).toMatch(/Tests {2}\d+ passed/);
      expect(stdout).not.toMatch(/skipped|failed/);
    },
    120_000,
  );

  it('refuses bad names, unknown kinds and non-empty directories (exit 2)', async () => {
    const bad = await flowlane(['init', 'plugin', 'Not Valid']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✖ "Not Valid" is not a valid npm package name\.\n {2}hint: /);
    const kind = await flowlane(['init', 'plugin', 'flowlane-plugin-x', '--kind', 'queue']);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/argument 'queue' is invalid\. Allowed choices are executor, scheduler, state-store\./);
    const taken = await flowlane(['init', 'plugin', 'flowlane-plugin-x', '--dir', PKG]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/exists and is not empty/);
  });
});

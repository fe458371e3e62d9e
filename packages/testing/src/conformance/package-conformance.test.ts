import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin } from '@flowlane/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage, packageConformance } from './package-conformance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TABLE = {
  FL_DEMO_BROKEN: (p: { what: string }) => `${p.what} is broken.`,
  FL_DEMO_GONE: () => 'It is gone.',
};

const GOOD_ROWS = [
  '| `FL_DEMO_BROKEN` | Something broke. | Fix it. |',
  '| `FL_DEMO_GONE` | It went away. | Bring it back. |',
  '| `FL_CANCELLED` | (core) The run was cancelled. | Expected after a cancel. |',
];

/** A package directory with this package.json version and README error table. */
function fixture(rows: readonly string[], opts: { version?: string; sections?: readonly string[] } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowlane-package-conformance-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'flowlane-demo', version: opts.version ?? '1.2.3' }));
  const sections = opts.sections ?? ['Install', 'Usage', 'Options', 'Events and error codes', 'Compatibility'];
  const body = sections.map((s) =>
    s === 'Events and error codes'
      ? `## ${s}\n\n| Code | Meaning | How to fix |\n|---|---|---|\n${rows.join('\n')}\n`
      : `## ${s}\n\ntext\n`,
  );
  writeFileSync(join(dir, 'README.md'), `# flowlane-demo\n\n${body.join('\n')}`);
  return dir;
}

const plugin = (overrides: { name?: string; version?: string } = {}) =>
  definePlugin({
    name: overrides.name ?? 'flowlane-demo',
    version: overrides.version ?? '1.2.3',
    flowlane: '^0.1.0',
    setup() {},
  });

describe('checkPackage', () => {
  it('accepts a package whose version, plugin, error table and README agree', () => {
    const dir = fixture(GOOD_ROWS);
    expect(
      checkPackage({
        dir,
        version: '1.2.3',
        coreRange: '^0.1.0',
        plugin: () => plugin(),
        errorCodes: TABLE,
        documents: ['FL_CANCELLED'],
      }),
    ).toEqual([]);
  });

  it('reports a stale row: a documented code that no table defines', () => {
    const dir = fixture([...GOOD_ROWS, '| `FL_DEMO_RENAMED_LONG_AGO` | Old. | Old fix. |']);
    const problems = checkPackage({ dir, errorCodes: TABLE });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /line \d+ documents FL_DEMO_RENAMED_LONG_AGO, which no error table defines \(stale row/,
    );
    // A code of another package's table is not stale once that table is passed.
    expect(checkPackage({ dir, errorCodes: TABLE, foreignCodes: ['FL_DEMO_RENAMED_LONG_AGO'] })).toEqual([]);
  });

  it('reports an undocumented code, a row without a fix, a duplicate row, and a missing core code row', () => {
    const dir = fixture(['| `FL_DEMO_BROKEN` | Something broke. | |', '| `FL_DEMO_BROKEN` | Again. | Fix. |']);
    expect(checkPackage({ dir, errorCodes: TABLE, documents: ['FL_CANCELLED'] })).toEqual([
      'README has no row for FL_DEMO_GONE (| `FL_DEMO_GONE` | meaning | how to fix |).',
      'README has no row for FL_CANCELLED (| `FL_CANCELLED` | meaning | how to fix |).',
      expect.stringMatching(/the row of FL_DEMO_BROKEN needs a meaning and a fix/),
      expect.stringMatching(/documents FL_DEMO_BROKEN a second time/),
    ]);
  });

  it('reads rows that name several codes in one cell, so a stale one among them is found', () => {
    const dir = fixture([...GOOD_ROWS.slice(1), '| `FL_DEMO_BROKEN` / `FL_DEMO_OLD` | Broke or old. | Fix it. |']);
    expect(checkPackage({ dir, errorCodes: TABLE })).toEqual([
      expect.stringMatching(/documents FL_DEMO_OLD, which no error table defines/),
    ]);
  });

  it('reports an option without a ### heading', () => {
    const dir = fixture(GOOD_ROWS);
    writeFileSync(join(dir, 'README.md'), `${readFileSync(join(dir, 'README.md'), 'utf8')}\n### path\n\n\`string\`\n`);
    expect(checkPackage({ dir, errorCodes: TABLE, options: ['path', 'key'] })).toEqual([
      'README has no "### key" heading for the option key (say its type and default).',
    ]);
  });

  it('reports a `documents` code that does not exist anywhere', () => {
    const dir = fixture(GOOD_ROWS);
    expect(checkPackage({ dir, errorCodes: TABLE, documents: ['FL_NOT_A_CORE_CODE'] })).toContainEqual(
      'documents lists FL_NOT_A_CORE_CODE, which neither core nor foreignCodes defines.',
    );
  });

  it('reports version drift, a misnamed or unfrozen plugin, and a core range the running core is outside of', () => {
    const dir = fixture(GOOD_ROWS, { version: '1.3.0' });
    const problems = checkPackage({
      dir,
      version: '1.2.3',
      coreRange: '^9.0.0',
      plugin: () => ({ ...plugin({ name: 'other' }) }),
      errorCodes: TABLE,
    });
    expect(problems).toEqual([
      'PKG_VERSION is "1.2.3" but package.json says "1.3.0": keep them equal.',
      expect.stringMatching(/^CORE_RANGE "\^9\.0\.0" does not include the running core /),
      'the plugin object is not frozen (use definePlugin).',
      'the plugin is named "other", not after its package "flowlane-demo".',
      'the plugin says version "1.2.3", package.json "1.3.0".',
      'the plugin declares core range "^0.1.0", CORE_RANGE is "^9.0.0".',
    ]);
  });

  it('reports missing and out-of-order README sections', () => {
    const dir = fixture(GOOD_ROWS, { sections: ['Usage', 'Install', 'Events and error codes', 'Compatibility'] });
    expect(checkPackage({ dir, errorCodes: TABLE })).toEqual([
      'README section "## Usage" is out of order (expected: Install · Usage · Options · Events and error codes · Compatibility).',
      'README has no "## Options" section.',
    ]);
  });
});

// The suite form, on a conforming fixture (registers one test that must pass).
packageConformance('fixture', { dir: fixture(GOOD_ROWS), version: '1.2.3', plugin: () => plugin(), errorCodes: TABLE });

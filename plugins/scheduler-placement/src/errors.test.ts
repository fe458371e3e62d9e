import { readFileSync } from 'node:fs';
import { isFlowlaneError } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { isPlacementError, PlacementError, PlacementErrorCodes } from './errors.js';
import { PKG_VERSION } from './version.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('error table', () => {
  it('documents every FL_SCHED_ code in the README (and no other)', () => {
    const documented = [...readme.matchAll(/^\| `(FL_SCHED_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(PlacementErrorCodes).sort());
  });

  it('documents the core codes the package raises', () => {
    for (const code of ['FL_RESOURCE_UNSATISFIABLE', 'FL_RESOURCE_TIMEOUT', 'FL_CANCELLED'])
      expect(readme).toContain(`| \`${code}\` |`);
  });

  it('carries the Flowlane brand so core recognises and serialises it', () => {
    const e = new PlacementError('FL_SCHED_UNKNOWN_WORKER', { scheduler: 's', workerId: 'x', known: ['a'] });
    expect(isFlowlaneError(e)).toBe(true);
    expect(isPlacementError(e, 'FL_SCHED_UNKNOWN_WORKER')).toBe(true);
    expect(isPlacementError(e, 'FL_SCHED_DISPOSED')).toBe(false);
    expect(e.message).toBe('s has no worker "x" (workers: a). Fix the id or add the worker.');
  });

  it('keeps PKG_VERSION equal to package.json', () => {
    expect(PKG_VERSION).toBe(pkg.version);
  });
});

import { readFileSync } from 'node:fs';
import { PlacementErrorCodes } from '@flowlane/scheduler-placement';
import { describe, expect, it } from 'vitest';
import { loadBasedScheduler } from './load-based-plugin.js';
import { PKG_VERSION } from './version.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('package', () => {
  it('keeps PKG_VERSION equal to package.json', () => expect(PKG_VERSION).toBe(pkg.version));

  it('documents every code it can raise', () => {
    const documented = [...readme.matchAll(/^\| `(FL_SCHED_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(PlacementErrorCodes).sort());
  });

  it('is a frozen, named plugin for this core range', () => {
    const p = loadBasedScheduler({ workers: [{ id: 'a' }] });
    expect([p.name, p.version, p.flowlane, Object.isFrozen(p)]).toEqual([
      '@flowlane/scheduler-load-based',
      PKG_VERSION,
      '^0.1.0',
      true,
    ]);
  });
});

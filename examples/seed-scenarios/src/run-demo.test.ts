import { describe, expect, it } from 'vitest';
import { isInteractive, runDemo } from './run-demo.js';
import { instantSleep } from './sleep.js';

describe('runDemo (pnpm demo)', () => {
  it('runs two releases: both succeed with a retry and a fallback, the second with a cache hit', async () => {
    const lines: string[] = [];
    const outcomes = await runDemo({
      tty: false,
      write: (l) => lines.push(l),
      sleep: instantSleep,
      retryIntervalMs: 0,
    });
    expect(outcomes.map((o) => o.result.status)).toEqual(['success', 'success']);
    const notes = outcomes.map((o) => Object.fromEntries(o.rows.map((r) => [r.node, r.notes])));
    for (const n of notes) {
      expect(n.build).toBe('retried after: npm ci: ECONNRESET while fetching a tarball');
      expect(n['push-image']).toBe('fell back to push-mirror (registry.internal:5000: connect ECONNREFUSED)');
    }
    expect(notes[0]?.['dependency-scan']).toBe('');
    expect(notes[1]?.['dependency-scan']).toBe('cache hit');
    const text = lines.join('\n');
    expect(text).toContain('Release 1.4.0 (run 1 of 2)');
    expect(text).toContain('node               status   attempts  duration  notes');
    expect(text).toMatch(/release 1\.4\.1: success in \d+\.\d\d s/);
  });

  it('uses the live view only on a terminal with a size', () => {
    expect(isInteractive({ isTTY: true, columns: 120, rows: 40 })).toBe(true);
    expect(isInteractive({ isTTY: true, columns: 0, rows: 0 })).toBe(false);
    expect(isInteractive({})).toBe(false);
  });
});

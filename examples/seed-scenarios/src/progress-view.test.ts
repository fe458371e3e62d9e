import { setTimeout as delay } from 'node:timers/promises';
import { applyEvent, createPlainProgress, createRows, createTtyProgress, renderFrame } from '@flowlane/cli';
import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { createReleaseWorkflow } from './release-workflow.js';
import { clockSleep } from './sleep.js';

/** The events of one demo release, in virtual time. */
async function releaseEvents(): Promise<FlowEvent[]> {
  const clock = createVirtualClock();
  const run = newEngine({ clock }).run(createReleaseWorkflow({ sleep: clockSleep(clock) }), {
    version: '2.0.0',
    lockfileHash: 'h',
  });
  const events = lastValueFrom(run.events$.pipe(toArray()));
  await clock.runAll();
  return events;
}

const description = createReleaseWorkflow().toJSON();

describe('progress view', () => {
  it('starts with every node waiting, standby fallbacks marked, and groups showing their cap', () => {
    const rows = createRows(description);
    expect(rows.get('checkout')).toMatchObject({ state: 'waiting', detail: '' });
    expect(rows.get('lint')).toMatchObject({ state: 'waiting', detail: 'group checks, 2 at a time' });
    expect(rows.get('push-mirror')).toMatchObject({ state: 'standby', detail: 'fallback for push-image' });
  });

  it('folds a whole run into final rows', async () => {
    const rows = createRows(description);
    for (const e of await releaseEvents()) applyEvent(rows, e);
    expect(rows.get('build')).toMatchObject({ state: 'success', attempt: 2, durationMs: 700 });
    expect(rows.get('build')?.detail).toBe('after 2 attempts');
    expect(rows.get('push-image')).toMatchObject({ state: 'success', detail: 'via push-mirror' });
    expect(rows.get('push-mirror')).toMatchObject({ state: 'success', durationMs: 250 });
    expect([...rows.values()].every((r) => r.state === 'success')).toBe(true);
  });

  it('shows a retry while it waits, and a cache hit', () => {
    const rows = createRows(description);
    const base = { executionId: 'x', workflow: 'release', timestamp: 0 } as const;
    applyEvent(rows, { ...base, type: 'node.started', nodeId: 'build', attempt: 1 });
    applyEvent(rows, {
      ...base,
      type: 'node.retrying',
      nodeId: 'build',
      attempt: 1,
      delayMs: 200,
      error: { name: 'Error', message: 'ECONNRESET\nstack…' },
    });
    expect(rows.get('build')).toMatchObject({
      state: 'retrying',
      detail: 'attempt 1 failed (ECONNRESET), retrying in 200 ms',
    });
    applyEvent(rows, { ...base, type: 'node.cache-hit', nodeId: 'dependency-scan', shared: false });
    applyEvent(rows, { ...base, type: 'node.completed', nodeId: 'dependency-scan', attempt: 0, durationMs: 0 });
    expect(rows.get('dependency-scan')).toMatchObject({ state: 'cached', detail: 'cache hit' });
    applyEvent(rows, { ...base, type: 'node.skipped', nodeId: 'push-mirror', reason: 'dependency-skipped' });
    expect(rows.get('push-mirror')).toMatchObject({ state: 'skipped', detail: 'not needed' });
  });

  it('renders a frame with icons, times and a settled count', () => {
    const rows = createRows(description);
    const base = { executionId: 'x', workflow: 'release' } as const;
    applyEvent(rows, { ...base, timestamp: 0, type: 'node.started', nodeId: 'checkout', attempt: 1 });
    applyEvent(rows, {
      ...base,
      timestamp: 100,
      type: 'node.completed',
      nodeId: 'checkout',
      attempt: 1,
      durationMs: 100,
    });
    applyEvent(rows, { ...base, timestamp: 100, type: 'node.started', nodeId: 'build', attempt: 1 });
    const frame = renderFrame('release  0.35 s', rows.values(), 350, 3).split('\n');
    expect(frame[0]).toBe('release  0.35 s  ·  1/12 settled');
    expect(frame[1]).toBe('  ✔ checkout           success    0.10 s');
    expect(frame[2]).toBe('  ⠸ build              running    0.25 s');
    expect(frame).toContain(`  ◌ push-mirror        standby  ${' '.repeat(10)}fallback for push-image`);
  });

  it('tty mode redraws in place and stops its spinner on complete', async () => {
    const frames: string[] = [];
    let done = 0;
    const logUpdate = Object.assign((text: string) => frames.push(text), { done: () => done++ });
    const view = createTtyProgress('release', description, { logUpdate, intervalMs: 5, color: false });
    for (const e of await releaseEvents()) view.next(e);
    view.complete();
    const count = frames.length;
    await delay(30);
    expect(frames.length).toBe(count);
    expect(done).toBe(1);
    const last = frames.at(-1)!;
    expect(last.split('\n')[0]).toBe('release  completed in 2.45 s  ·  12/12 settled');
    expect(last).toContain('✔ push-image         success    0.40 s  via push-mirror');
  });

  it('plain mode prints one line per event, relative to the run start', async () => {
    const lines: string[] = [];
    const view = createPlainProgress((l) => lines.push(l));
    for (const e of await releaseEvents()) view.next(e);
    expect(lines[0]).toBe('+ 0.00 s                     ▶ release started (11 nodes)');
    expect(lines).toContain(
      '+ 0.35 s  build              ↻ attempt 1 failed (npm ci: ECONNRESET while fetching a tarball), retrying in 200 ms',
    );
    expect(lines).toContain(
      '+ 1.55 s  push-image         ↪ registry.internal:5000: connect ECONNREFUSED → falling back to push-mirror',
    );
    expect(lines.at(-1)).toBe('+ 2.45 s                     ■ release completed in 2.45 s');
  });
});

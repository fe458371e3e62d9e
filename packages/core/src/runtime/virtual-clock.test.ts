import { timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createVirtualClock } from './virtual-clock.js';

describe('createVirtualClock', () => {
  it('steps from timer to timer, settling promises in between', async () => {
    const clock = createVirtualClock();
    const seen: [string, number][] = [];
    timer(100, clock).subscribe(() => {
      seen.push(['t100', clock.now()]);
      void Promise.resolve().then(() => seen.push(['after-t100', clock.now()]));
    });
    timer(300, clock).subscribe(() => seen.push(['t300', clock.now()]));
    await clock.advanceBy(1000);
    expect(seen).toEqual([
      ['t100', 100],
      ['after-t100', 100],
      ['t300', 300],
    ]);
    expect(clock.now()).toBe(1000);
    expect(clock.pending()).toBe(0);
  });

  it('runAll stops at the limit and leaves later timers pending', async () => {
    const clock = createVirtualClock();
    let fired = 0;
    timer(500, clock).subscribe(() => fired++);
    timer(5_000, clock).subscribe(() => fired++);
    await clock.runAll(1_000);
    expect(fired).toBe(1);
    expect(clock.pending()).toBe(1);
    await clock.runAll();
    expect(fired).toBe(2);
  });
});

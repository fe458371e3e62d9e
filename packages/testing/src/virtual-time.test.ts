import { createEngine, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { createVirtualClock } from './index.js';

describe('createVirtualClock (re-exported from core)', () => {
  it('runs a 30 s retry backoff in virtual time', async () => {
    const clock = createVirtualClock();
    const engine = createEngine({ clock });
    let calls = 0;
    const wf = workflow('vt')
      .addNode(
        'flaky',
        () => {
          if (++calls < 2) throw new Error('busy');
          return clock.now();
        },
        { retry: { maxAttempts: 2, initialInterval: 30_000 } },
      )
      .build();
    const run = engine.run(wf, {});
    await clock.advanceBy(29_999);
    expect(calls).toBe(1);
    await clock.advanceBy(1);
    const r = await run.result;
    expect(r.outputs.flaky).toBe(30_000);
    await engine.close();
  });
});

import { createEngine, workflow } from '@flowlane/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRoundRobinScheduler } from './round-robin-scheduler.js';

describe('round-robin placement (property)', () => {
  it('places N nodes over W equal workers exactly N / W each when all have room', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), async (w, perWorker) => {
        const n = w * perWorker;
        const workers = Array.from({ length: w }, (_, i) => ({ id: `w${i}`, capacity: n }));
        const engine = createEngine({ scheduler: createRoundRobinScheduler({ workers }) });
        const placed: Record<string, number> = {};
        let b = workflow('even') as ReturnType<typeof workflow>;
        for (let i = 0; i < n; i++)
          b = b.addNode(`n${i}`, (ctx) => void (placed[ctx.workerId!] = (placed[ctx.workerId!] ?? 0) + 1)) as never;
        expect((await engine.run(b.build(), {}).result).status).toBe('success');
        expect(Object.values(placed)).toEqual(Array.from({ length: w }, () => perWorker));
        await engine.close();
      }),
      { numRuns: 40 },
    );
  });
});

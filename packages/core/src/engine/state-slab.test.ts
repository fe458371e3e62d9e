import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { useEngines } from './engines.test-helper.js';
import { claimState, stateBuffer } from './state-slab.js';

const engine = useEngines();

describe('state-slab', () => {
  it('hands out zeroed, 8-byte-aligned regions that never overlap; large ones get a buffer of their own', () => {
    const taken: { buf: ArrayBuffer; at: number; bytes: number }[] = [];
    for (let k = 0; k < 400; k++) {
      const bytes = 31 * (1 + (k % 9));
      const at = claimState(bytes);
      const buf = stateBuffer();
      expect(at % 8).toBe(0);
      expect(at + bytes).toBeLessThanOrEqual(buf.byteLength);
      const view = new Uint8Array(buf, at, bytes);
      expect(view.every((b) => b === 0)).toBe(true);
      view.fill(0xff);
      taken.push({ buf, at, bytes });
    }
    for (let a = 0; a < taken.length; a++)
      for (let b = a + 1; b < taken.length; b++) {
        const x = taken[a]!;
        const y = taken[b]!;
        if (x.buf === y.buf) expect(x.at + x.bytes <= y.at || y.at + y.bytes <= x.at).toBe(true);
      }
    const big = claimState(31 * 1000);
    expect(big).toBe(0);
    expect(stateBuffer().byteLength).toBe(31 * 1000);
    expect(stateBuffer()).not.toBe(taken.at(-1)!.buf);
  });

  it("a 100-node run's state and compact event log share the block", () => {
    // RunState: 31 bytes per node; CompactEventLog: 8 × (3.5 × 2 events per node + 8) bytes.
    claimState(31 * 100);
    const state = stateBuffer();
    claimState(8 * (700 + 8));
    expect(stateBuffer()).toBe(state);
    expect(state.byteLength).toBeGreaterThan(31 * 100 + 8 * 708);
  });

  it('concurrent small runs sharing a block keep their own node states', async () => {
    const wf = workflow('slab')
      .input<{ n: number }>()
      .addNode('a', async (ctx) => ctx.input.n)
      .addNode(
        'b',
        (ctx) => {
          if (ctx.input.n % 3 === 0) throw new Error('multiple of 3');
          return ctx.results.a * 2;
        },
        { dependsOn: ['a'], retry: { maxAttempts: 2, initialInterval: 0 }, onError: 'continue' },
      )
      .build();
    const e = engine();
    const results = await Promise.all(Array.from({ length: 300 }, (_, n) => e.run(wf, { n }).result));
    results.forEach((r, n) => {
      if (n % 3 === 0) expect(r.nodes.b).toMatchObject({ status: 'failed', attempts: 2 });
      else expect(r.nodes.b).toMatchObject({ status: 'success', attempts: 1, output: n * 2 });
      expect(r.nodes.a).toMatchObject({ status: 'success', attempts: 1, output: n });
    });
  });
});

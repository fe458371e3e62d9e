import { describe, expect, it } from 'vitest';
import { workflow } from '../../builder/workflow-builder.js';
import type { FlowControlBackend } from '../../contracts/flow-control.js';
import { definePlugin } from '../../plugin/define-plugin.js';
import { CORE_VERSION } from '../../version.js';
import { useEngines } from '../engines.test-helper.js';
import { createMemoryFlowControlBackend } from './memory-backend.js';

const engines = useEngines();

/**
 * Backends of several engines in one process that carry events to each other through a shared board (the shape
 * of the Redis backend's pub/sub, without the network): what the gate must do with `publishEvent` /
 * `subscribeEvents` is the subject here; the real cross-process path is tested against Redis in store-redis.
 */
function sharedBoard() {
  const subs = new Map<string, Set<{ origin: number; fn: (payload: unknown) => void }>>();
  const published: string[] = [];
  let next = 0;
  const backend = (): FlowControlBackend => {
    const origin = next++;
    return {
      ...createMemoryFlowControlBackend(),
      name: `board-${origin}`,
      publishEvent({ name, payload }) {
        published.push(name);
        for (const s of subs.get(name) ?? []) if (s.origin !== origin) s.fn(payload);
      },
      subscribeEvents(name, fn) {
        const s = { origin, fn };
        let set = subs.get(name);
        if (set === undefined) subs.set(name, (set = new Set()));
        set.add(s);
        return () => set.delete(s);
      },
    };
  };
  const listening = (name: string) => subs.get(name)?.size ?? 0;
  return { backend, published, listening };
}

const plugin = (backend: FlowControlBackend, ready?: Promise<void>) =>
  definePlugin({
    name: 'board',
    version: '1.0.0',
    flowlane: `^${CORE_VERSION}`,
    async setup(api) {
      await ready;
      api.flowControl.setBackend(backend);
    },
  });

const holding = workflow('holding', {
  cancelOn: [{ event: 'stop', match: (e, ctx) => (e.payload as { id: string }).id === ctx.input.id }],
})
  .input<{ id: string }>()
  .addNode(
    'wait',
    (ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
  )
  .build();

describe('cancelOn through a backend that carries events between engines', () => {
  it("an event emitted on one engine cancels the other engine's matching runs; subscriptions follow the runs", async () => {
    const board = sharedBoard();
    let setUp!: () => void;
    const later = new Promise<void>((r) => {
      setUp = r;
    });
    // Engine a's runs start listening before its plugin installs the backend: their subscriptions move to it.
    const a = engines({ plugins: [plugin(board.backend(), later)] });
    const b = engines({ plugins: [plugin(board.backend())] });
    const r1 = a.run(holding, { id: '1' });
    const r2 = a.run(holding, { id: '2' });
    expect(board.listening('stop')).toBe(0);
    setUp();
    await Promise.all([a.ready(), b.ready()]);
    expect(board.listening('stop')).toBe(1); // one subscription per event name and engine
    b.emit('stop', { id: '2' });
    const res2 = await r2.result;
    expect(res2.status).toBe('cancelled');
    expect(res2.error?.message).toContain('cancelOn: event "stop"');
    expect(board.listening('stop')).toBe(1); // r1 still listens
    b.emit('stop', { id: '1' });
    expect((await r1.result).status).toBe('cancelled');
    expect(board.listening('stop')).toBe(0);
    expect(board.published).toEqual(['stop', 'stop']);
  });

  it('a backend that fails to publish is logged; the local cancel still happens', async () => {
    const errors: string[] = [];
    const broken: FlowControlBackend = {
      ...createMemoryFlowControlBackend(),
      name: 'broken',
      publishEvent: () => Promise.reject(new Error('bus down')),
    };
    const e = engines({
      plugins: [plugin(broken)],
      logger: { debug() {}, info() {}, warn() {}, error: (m, f) => void errors.push(`${m}: ${String(f?.error)}`) },
    });
    await e.ready();
    const run = e.run(holding, { id: 'x' });
    e.emit('stop', { id: 'x' });
    expect((await run.result).status).toBe('cancelled');
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['flow-control backend failed: bus down']);
  });
});

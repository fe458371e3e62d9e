import { describe, expect, it } from 'vitest';
import { workflow } from '../../builder/workflow-builder.js';
import { createMemoryExecutionStore } from '../../defaults/memory-execution-store.js';
import { useEngines } from '../engines.test-helper.js';

const engines = useEngines();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

/** A promise with its resolve function. */
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A durable workflow (limit 1 per tenant) whose node holds until the test lets that attempt go. Attempts are named
 * `<execution id>#<attempt>`: the attempt in flight at the "crash" never ends; the resumed run's is the next one.
 */
function heldJobs(extra: Record<string, unknown> = {}) {
  const entered = new Map<string, Deferred>();
  const go = new Map<string, Deferred>();
  const on = (m: Map<string, Deferred>, id: string) => {
    let d = m.get(id);
    if (d === undefined) m.set(id, (d = deferred()));
    return d;
  };
  const inside = new Set<string>();
  let peak = 0;
  const order: string[] = [];
  const wf = workflow('tenant-job', {
    version: '1',
    concurrency: { key: (ctx) => ctx.input.tenant, limit: 1 },
    ...extra,
  })
    .input<{ tenant: string }>()
    .addNode('work', async (ctx) => {
      const me = `${ctx.executionId}#${ctx.attempt}`;
      inside.add(`${ctx.input.tenant} ${me}`);
      peak = Math.max(peak, [...inside].filter((x) => x.startsWith(`${ctx.input.tenant} `)).length);
      order.push(`in ${me}`);
      on(entered, me).resolve();
      await on(go, me).promise;
      inside.delete(`${ctx.input.tenant} ${me}`);
      order.push(`out ${me}`);
    })
    .build();
  return {
    wf,
    entered: (attempt: string) => on(entered, attempt).promise,
    release: (attempt: string) => on(go, attempt).resolve(),
    /** Forget the attempts of the crashed engine (they never end). */
    crashed: () => {
      inside.clear();
      order.length = 0;
    },
    stats: () => ({ peak, order }),
  };
}

describe('resumed runs and flow control', () => {
  it('a resumed run counts against its concurrency key again (it waits for the slot a new run holds)', async () => {
    const store = createMemoryExecutionStore();
    const jobs = heldJobs();
    const first = engines({ executions: store, instanceId: 'first', logger: quiet });
    void first.run(jobs.wf, { tenant: 'acme' }, { executionId: 'old' });
    await jobs.entered('old#1');
    await first.close(); // "crash": the log says running, the run is resumable
    jobs.crashed();

    const second = engines({ executions: store, instanceId: 'second', workflows: [jobs.wf], logger: quiet });
    const fresh = second.run(jobs.wf, { tenant: 'acme' }, { executionId: 'fresh' });
    await jobs.entered('fresh#1');
    const resumed = await second.resume('old');
    // Another tenant is not held up by acme's slot.
    const other = second.run(jobs.wf, { tenant: 'globex' }, { executionId: 'other' });
    await jobs.entered('other#1');
    jobs.release('other#1');
    expect((await other.result).status).toBe('success');
    jobs.release('fresh#1');
    expect((await fresh.result).status).toBe('success');
    await jobs.entered('old#2');
    jobs.release('old#2');
    expect((await resumed.result).status).toBe('success');
    expect(jobs.stats().peak).toBe(1); // never two runs of one tenant inside at once
    expect(jobs.stats().order.filter((x) => !x.includes('other'))).toEqual([
      'in fresh#1',
      'out fresh#1',
      'in old#2', // resumed, after fresh gave the slot back
      'out old#2',
    ]);
  });

  it('a resumed run is not counted again by rateLimit (never dropped) and obeys cancelOn', async () => {
    const store = createMemoryExecutionStore();
    type Ctx = { input: { tenant: string } };
    const jobs = heldJobs({
      rateLimit: { key: (ctx: Ctx) => ctx.input.tenant, limit: 1, period: 3_600_000, mode: 'drop' },
      cancelOn: [
        {
          event: 'tenant.deleted',
          match: (e: { payload: { tenant: string } }, ctx: Ctx) => e.payload.tenant === ctx.input.tenant,
        },
      ],
    });
    const first = engines({ executions: store, instanceId: 'first', logger: quiet });
    void first.run(jobs.wf, { tenant: 'acme' }, { executionId: 'old' });
    await jobs.entered('old#1');
    await first.close();
    jobs.crashed();

    const second = engines({ executions: store, instanceId: 'second', workflows: [jobs.wf], logger: quiet });
    // `fresh` takes the hour's only start of acme (and its slot).
    const fresh = second.run(jobs.wf, { tenant: 'acme' }, { executionId: 'fresh' });
    await jobs.entered('fresh#1');
    // The resumed run already started once: the full window does not drop it; it waits for the slot only.
    const resumed = await second.resume('old');
    jobs.release('fresh#1');
    expect((await fresh.result).status).toBe('success');
    await jobs.entered('old#2');
    second.emit('tenant.deleted', { tenant: 'acme' });
    const r = await resumed.result;
    expect(r.status).toBe('cancelled');
    expect(r.error?.message).toContain('cancelOn: event "tenant.deleted"');
  });
});

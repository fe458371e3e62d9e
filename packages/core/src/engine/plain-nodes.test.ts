import { asyncScheduler, of, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { NodeOptions } from '../builder/types.js';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import type { RunResult } from '../contracts/run-types.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { useEngines } from './engines.test-helper.js';
import { rng } from './lazy-records.test-helper.js';
import { planRun } from './run-plan.js';
import { runtimeOf } from './runtime-registry.js';

const makeEngine = useEngines();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A seeded random DAG mixing plain nodes (sync or async values, observables, throws under `onError: 'continue'`)
 * with nodes that have options (retry, timeout, cache), and — when `fatal` — one plain node that fails the run.
 * `gated`: every node also gets `condition: () => true`, which holds but sends each node down the general path.
 */
function mixedDag(n: number, seed: number, fatal: boolean, gated: boolean) {
  const rand = rng(seed);
  // biome-ignore lint/suspicious/noExplicitAny: a builder whose node ids are only known at run time.
  let b: any = workflow(`mixed-${n}-${seed}`);
  const fatalAt = fatal ? Math.floor((n * 2) / 3) : -1;
  const failures = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    const deps = new Set<string>();
    if (i > 0) for (let k = Math.floor(rand() * 4); k > 0; k--) deps.add(`n${Math.floor(rand() * i)}`);
    const options: { -readonly [K in keyof NodeOptions<string>]: NodeOptions<string>[K] } = {};
    if (deps.size > 0) options.dependsOn = [...deps];
    if (gated) options.condition = () => true;
    const sum = (r: Record<string, unknown>) =>
      [...deps].reduce((s, d) => s + (typeof r[d] === 'number' ? (r[d] as number) : 0), 1) % 1_000_007;
    const kind = rand();
    const isAsync = rand() < 0.5;
    let body: (r: Record<string, unknown>) => unknown = sum;
    if (i === fatalAt)
      body = () => {
        throw new Error(`${id} fails the run`);
      };
    else if (kind < 0.1) {
      options.onError = 'continue';
      body = () => {
        throw new Error(`${id} failed`);
      };
    } else if (kind < 0.2) {
      options.retry = { maxAttempts: 2, initialInterval: 0 };
      body = (r) => {
        const made = (failures.get(id) ?? 0) + 1;
        failures.set(id, made);
        if (made % 2 === 1) throw new Error(`${id}: transient`);
        return sum(r);
      };
    } else if (kind < 0.25) options.timeout = 60_000;
    else if (kind < 0.3) options.cache = { ttl: 60_000, keyFn: () => `${id}-key` };
    else if (kind < 0.35) body = (r) => of(0, sum(r));
    const fn = body;
    b = b.addNode(
      id,
      isAsync
        ? async (ctx: { results: Record<string, unknown> }) => fn(ctx.results)
        : (ctx: { results: Record<string, unknown> }) => fn(ctx.results),
      options,
    );
  }
  return b.build();
}

/** Events and records of one run (error stacks left out: they show the path a node took through the engine). */
async function observe(n: number, seed: number, fatal: boolean, gated: boolean, live: boolean) {
  const clock = createVirtualClock();
  const engine = makeEngine({ clock, logger: quiet });
  const run = engine.run(mixedDag(n, seed, fatal, gated), {}, { executionId: 'x' });
  const events: FlowEvent[] = [];
  // A live subscriber hears every event as an object; a late one replays the compact log.
  if (live) run.events$.subscribe((e) => events.push(e));
  await clock.runAll();
  const result: RunResult = await run.result;
  if (!live) run.events$.subscribe((e) => events.push(e));
  const noStack = (_k: string, v: unknown) => (_k === 'stack' ? undefined : v);
  return {
    events: JSON.parse(JSON.stringify(events, noStack)) as unknown,
    result: JSON.parse(JSON.stringify(result, noStack)) as unknown,
    status: result.status,
    plain: planRun(runtimeOf(engine)!, mixedDag(n, seed, fatal, gated)).plain.reduce((s, p) => s + p, 0),
  };
}

describe('plain nodes', () => {
  it('are the nodes without options the ready-queue or an operator would handle', () => {
    const engine = makeEngine({ logger: quiet });
    const child = workflow('child')
      .addNode('c', () => 1)
      .build();
    const wf = workflow('kinds')
      .addNode('plain', () => 1)
      .addNode('async', async () => 2, { onError: 'continue' })
      .forEach('each', [1, 2], (x) => x)
      .branch('gate', () => true, { then: ['thenNode'] })
      .addNode('thenNode', () => 3)
      .addNode('conditional', () => 4, { condition: () => true })
      .addNode('retried', () => 5, { retry: { maxAttempts: 2, initialInterval: 0 } })
      .addNode('timed', () => 6, { timeout: 1_000 })
      .addNode('cached', () => 7, { cache: { ttl: 1_000 } })
      .subworkflow('sub', child, () => ({}))
      .build();
    const plan = planRun(runtimeOf(engine)!, wf);
    expect([...plan.plain]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it.each([
    [1, false, false],
    [2, false, true],
    [3, true, false],
    [4, true, true],
    [5, false, false],
    [6, true, true],
  ])(
    'emit the same events and records as the general path (random DAG seed %i, run fails: %s, live subscriber: %s)',
    async (seed, fatal, live) => {
      const fast = await observe(80, seed, fatal, false, live);
      const general = await observe(80, seed, fatal, true, live);
      expect(fast.plain).toBeGreaterThan(40);
      expect(general.plain).toBe(0);
      expect(fast.status).toBe(fatal ? 'failed' : 'success');
      expect(fast.events).toEqual(general.events);
      expect(fast.result).toEqual(general.result);
    },
  );
});

describe('the completion time of async nodes', () => {
  /** A clock whose time is the number of reads so far: a node's time shows which read it got. */
  function countingClock(): SchedulerLike & { reads: number } {
    const clock = {
      reads: 0,
      now: () => ++clock.reads,
      schedule: asyncScheduler.schedule.bind(asyncScheduler),
    };
    return clock as SchedulerLike & { reads: number };
  }

  /** root → `width` async nodes (`late` of them fulfil a macrotask later) → sink; the run's events by node. */
  async function wave(width: number, late: ReadonlySet<number>) {
    const clock = countingClock();
    const engine = makeEngine({ clock, logger: quiet });
    // biome-ignore lint/suspicious/noExplicitAny: a builder whose node ids are only known at run time.
    let b: any = workflow('wave').addNode('root', async () => 1);
    const ids = Array.from({ length: width }, (_, k) => `w${k}`);
    for (let k = 0; k < width; k++)
      b = b.addNode(
        ids[k],
        late.has(k)
          ? async () => {
              await new Promise((r) => setImmediate(r));
              return 1;
            }
          : async () => 1,
        { dependsOn: ['root'] },
      );
    b = b.addNode('sink', async () => 1, { dependsOn: ids });
    const run = engine.run(b.build(), {});
    const result: RunResult = await run.result;
    expect(result.status).toBe('success');
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const started = new Map<string, number>();
    const completed = new Map<string, { timestamp: number; durationMs: number }>();
    for (const e of events) {
      if (e.type === 'node.started') started.set(e.nodeId, e.timestamp);
      if (e.type === 'node.completed') completed.set(e.nodeId, e);
    }
    return { reads: clock.reads, events, started, completed, ids };
  }

  it('is one clock read for a wave that fulfils in one microtask checkpoint, never before the node started', async () => {
    const { reads, events, started, completed, ids } = await wave(200, new Set());
    // Without sharing: one read per node (202) plus the run's own.
    expect(reads).toBeLessThan(20);
    const times = ids.map((id) => completed.get(id)!.timestamp);
    expect(new Set(times).size).toBe(1);
    for (const [id, c] of completed) {
      expect(c.timestamp).toBeGreaterThanOrEqual(started.get(id)!);
      expect(c.durationMs).toBe(c.timestamp - started.get(id)!);
    }
    expect(started.get('sink')).toBeGreaterThanOrEqual(Math.max(...times));
    const stamps = events.map((e) => e.timestamp);
    expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
  });

  it('is a fresh read for a node that fulfils after the wave (its callback was queued after the shared read)', async () => {
    const { completed, ids } = await wave(50, new Set([7, 31]));
    const wave0 = completed.get(ids[0]!)!.timestamp;
    for (let k = 0; k < ids.length; k++) {
      const t = completed.get(ids[k]!)!.timestamp;
      if (k === 7 || k === 31) expect(t).toBeGreaterThan(wave0);
      else expect(t).toBe(wave0);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { NodeRecord, RunResult } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { useEngines } from './engines.test-helper.js';
import { randomDagWorkflow, withoutTickFrames } from './lazy-records.test-helper.js';
import { LAZY_RECORDS_MIN_NODES, lazyRunResult } from './lazy-result.js';

const engine = useEngines();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** The second run of a random DAG on a fresh engine (cache hits), records lazy or (`redact`) built at once. */
async function resultOf(seed: number, fatal: boolean, eager: boolean): Promise<RunResult> {
  const clock = createVirtualClock();
  const e = engine({ clock, logger: quiet, ...(eager ? { redact: { also: ['never-in-any-value'] } } : {}) });
  const wf = randomDagWorkflow(LAZY_RECORDS_MIN_NODES + 44, seed, fatal);
  await e.run(wf, {}, { executionId: 'warm-up' }).result;
  const run = e.run(wf, {}, { executionId: 'measured' });
  await clock.runAll();
  return run.result;
}

describe('lazy result.nodes', () => {
  it('is an enumerable own accessor in its place, replaced by a data property on first read', () => {
    let built = 0;
    const records: Record<string, NodeRecord> = { a: { status: 'success', attempts: 1, durationMs: 0, output: 1 } };
    const r = lazyRunResult(
      { executionId: 'x', workflow: 'w', status: 'success', outputs: { a: 1 }, error: undefined, durationMs: 3 },
      () => {
        built++;
        return records;
      },
    );
    expect(Object.keys(r)).toEqual(['executionId', 'workflow', 'status', 'outputs', 'nodes', 'durationMs']);
    expect(typeof Object.getOwnPropertyDescriptor(r, 'nodes')?.get).toBe('function');
    expect(built).toBe(0);
    expect(r.nodes).toBe(records);
    expect(Object.getOwnPropertyDescriptor(r, 'nodes')).toEqual({
      value: records,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    expect(r.nodes).toBe(records);
    expect(built).toBe(1);
  });

  it('assigning nodes before reading them replaces the accessor with that value, as on an eager result', () => {
    let built = 0;
    const r = lazyRunResult(
      { executionId: 'x', workflow: 'w', status: 'success', outputs: {}, error: undefined, durationMs: 0 },
      () => {
        built++;
        return {};
      },
    );
    const mine: Record<string, NodeRecord> = { a: { status: 'skipped', attempts: 0, durationMs: 0 } };
    (r as { nodes: Record<string, NodeRecord> }).nodes = mine;
    expect(r.nodes).toBe(mine);
    expect(Object.getOwnPropertyDescriptor(r, 'nodes')).toEqual({
      value: mine,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    expect(Object.keys(r)).toEqual(['executionId', 'workflow', 'status', 'outputs', 'nodes', 'durationMs']);
    expect(built).toBe(0);
  });

  it('results with and without an error keep the key order of an eager result', () => {
    const error = new FlowlaneError('FL_CANCELLED', { executionId: 'x', reason: 'r' });
    const r = lazyRunResult(
      { executionId: 'x', workflow: 'w', status: 'cancelled', outputs: {}, error, durationMs: 1 },
      () => ({}),
    );
    expect(Object.keys(r)).toEqual(['executionId', 'workflow', 'status', 'outputs', 'nodes', 'error', 'durationMs']);
    expect(r.error).toBe(error);
    // An object that inherits from a result reads its records too.
    expect(Object.create(r).nodes).toEqual({});
  });

  it('a frozen result still reads its records (built once, kept aside)', () => {
    let built = 0;
    const r = Object.freeze(
      lazyRunResult(
        { executionId: 'x', workflow: 'w', status: 'success', outputs: {}, error: undefined, durationMs: 0 },
        () => {
          built++;
          return {};
        },
      ),
    );
    expect(r.nodes).toEqual({});
    expect(r.nodes).toBe(r.nodes);
    expect(built).toBe(1);
  });

  it('a proxy of a result, an object inheriting from it and a copy of its descriptors read its records', () => {
    const records: Record<string, NodeRecord> = { a: { status: 'success', attempts: 1, durationMs: 0, output: 1 } };
    const make = (): RunResult =>
      lazyRunResult(
        { executionId: 'x', workflow: 'w', status: 'success', outputs: { a: 1 }, error: undefined, durationMs: 0 },
        () => records,
      );
    // A reactive store (Vue's reactive(), valtio) wraps the result in a Proxy: the getter's `this` is the proxy.
    const proxied = new Proxy(make(), {});
    expect(proxied.nodes).toBe(records);
    expect(proxied.nodes).toBe(records);
    expect(Object.create(make()).nodes).toBe(records);
    const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(make())) as RunResult;
    expect(copy.nodes).toBe(records);
    expect(JSON.stringify(new Proxy(make(), {}))).toContain('"nodes":{"a":');
  });

  it.each([
    [1, false],
    [2, true],
    [3, false],
    [4, true],
  ])('spread, keys and JSON equal an eagerly built result (random DAG seed %i, run fails: %s)', async (seed, fatal) => {
    const lazy = await resultOf(seed, fatal, false);
    const eager = await resultOf(seed, fatal, true);
    expect(typeof Object.getOwnPropertyDescriptor(lazy, 'nodes')?.get).toBe('function');
    expect(typeof Object.getOwnPropertyDescriptor(eager, 'nodes')?.get).toBe('undefined');
    expect(lazy.status).toBe(fatal ? 'failed' : 'success');
    expect(Object.keys(lazy)).toEqual(Object.keys(eager));
    expect(withoutTickFrames(JSON.stringify(lazy))).toBe(withoutTickFrames(JSON.stringify(eager)));
    // The run's error (a redacting run rebuilds its cause) is compared by what it says.
    const { error: lazyError, ...lazyRest } = lazy;
    const { error: eagerError, ...eagerRest } = eager;
    expect(withoutTickFrames(lazyRest)).toStrictEqual(withoutTickFrames(eagerRest));
    expect(lazyError?.message).toBe(eagerError?.message);
    const records = Object.values(lazy.nodes);
    expect(records.some((n) => n.status === 'failed')).toBe(true);
    if (!fatal) {
      // The DAG exercised what records carry: outputs, errors, cache hits, retries.
      expect(records.some((n) => n.status === 'success')).toBe(true);
      expect(records.some((n) => n.cacheHit === true)).toBe(true);
      expect(records.some((n) => n.attempts === 2)).toBe(true);
    }
  });
});

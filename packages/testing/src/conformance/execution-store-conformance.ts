import { type ExecutionRecord, type ExecutionStore, isFlowlaneError } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { suiteHarness, uniqueIds } from './suite-harness.js';

/** Options of {@link executionStoreConformance}. */
export interface ExecutionStoreConformanceOptions {
  /**
   * Short lease used by the expiry tests, ms; they wait `3 × leaseMs` for it to expire. Default 50. Stores with a
   * coarse expiry (seconds) pass a larger value.
   */
  readonly leaseMs?: number | undefined;
}

const started = (seq = 1, workflow = 'conformance'): ExecutionRecord => ({
  type: 'workflow.started',
  seq,
  at: 1_000,
  workflow,
  version: '1',
  graphHash: 'abc',
  graph: { a: { dependsOn: [], hash: 'h' } },
  input: { n: 1, text: 'ünïcødé ✓' },
  actor: { id: 'alice' },
});
const nodeStarted = (seq: number, nodeId = 'a'): ExecutionRecord => ({
  type: 'node.started',
  seq,
  at: 1_000 + seq,
  nodeId,
  attempt: 1,
});
const nodeCompleted = (seq: number, nodeId = 'a', output: unknown = { v: seq }): ExecutionRecord => ({
  type: 'node.completed',
  seq,
  at: 1_000 + seq,
  nodeId,
  attempt: 1,
  durationMs: 1,
  output,
});
const completed = (seq: number): ExecutionRecord => ({ type: 'workflow.completed', seq, at: 2_000, durationMs: 1_000 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Registers vitest tests that check an `ExecutionStore` (the durable execution log behind `engine.resume`,
 * `engine.runs` and `resume: 'auto'`) against the contract of `@flowlane/core`: create and duplicate ids, append in
 * `seq` order without duplicates (a resent batch), fencing by epoch, claims (expired only, or forced; one winner
 * among concurrent claims), renewals, finishing, and listing with filters and cursors. A fresh store is made per
 * test; execution ids are unique, so stores sharing a backend (one Redis) do not see each other's runs.
 *
 * @example
 * ```ts
 * import { createMemoryExecutionStore } from '@flowlane/core';
 * import { executionStoreConformance } from '@flowlane/testing';
 *
 * executionStoreConformance('memory', () => createMemoryExecutionStore());
 * ```
 */
export function executionStoreConformance(
  name: string,
  factory: () => ExecutionStore | Promise<ExecutionStore>,
  options: ExecutionStoreConformanceOptions = {},
): void {
  const leaseMs = options.leaseMs ?? 50;
  describe(`${name}: ExecutionStore conformance`, () => {
    const make = suiteHarness(factory);
    const id = uniqueIds();

    it('creates a run, reads its records back unchanged and summarises it', async () => {
      const s = await make();
      const run = id('create');
      await s.create(run, [started(), nodeStarted(2)], { owner: 'o1', leaseMs: 60_000 });
      expect(await s.read(run)).toEqual([started(), nodeStarted(2)]);
      expect(await s.get(run)).toMatchObject({
        executionId: run,
        workflow: 'conformance',
        version: '1',
        graphHash: 'abc',
        status: 'running',
        startedAt: 1_000,
        owner: 'o1',
        epoch: 1,
        records: 2,
      });
      expect(await s.read(id('unknown'))).toBeUndefined();
      expect(await s.get(id('unknown'))).toBeUndefined();
    });

    it('refuses a second create of the same id with FL_DUPLICATE_EXECUTION', async () => {
      const s = await make();
      const run = id('dup');
      await s.create(run, [started()], { owner: 'o1', leaseMs: 60_000 });
      const err = await Promise.resolve()
        .then(() => s.create(run, [started()], { owner: 'o2', leaseMs: 60_000 }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isFlowlaneError(err, 'FL_DUPLICATE_EXECUTION')).toBe(true);
      expect(await s.read(run)).toHaveLength(1);
    });

    it('appends in seq order and ignores records already stored (a resent batch)', async () => {
      const s = await make();
      const run = id('append');
      const fence = { owner: 'o1', epoch: 1 };
      await s.create(run, [started()], { owner: 'o1', leaseMs: 60_000 });
      await s.append(run, [nodeStarted(2), nodeCompleted(3)], fence);
      await s.append(run, [nodeStarted(2), nodeCompleted(3), nodeStarted(4, 'b')], fence);
      const records = (await s.read(run))!;
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(records[2]).toEqual(nodeCompleted(3));
      expect((await s.get(run))?.records).toBe(4);
    });

    it('keeps JSON-like outputs exactly (nested, falsy, null, unicode)', async () => {
      const s = await make();
      const run = id('values');
      const values: unknown[] = [0, '', false, null, [1, 'two', null], { deep: { list: [{ x: 'ünïcødé ✓' }] } }];
      await s.create(run, [started()], { owner: 'o1', leaseMs: 60_000 });
      await s.append(
        run,
        values.map((v, k) => nodeCompleted(k + 2, `n${k}`, v)),
        { owner: 'o1', epoch: 1 },
      );
      const out = (await s.read(run))!.slice(1).map((r) => (r as { output: unknown }).output);
      expect(out).toEqual(values);
    });

    it('fences a stale epoch: FL_EXECUTION_FENCED and nothing written', async () => {
      const s = await make();
      const run = id('fence');
      await s.create(run, [started()], { owner: 'o1', leaseMs: 60_000 });
      expect(await s.claim(run, { owner: 'o2', leaseMs: 60_000, force: true })).toBe(2);
      const err = await Promise.resolve()
        .then(() => s.append(run, [nodeStarted(2)], { owner: 'o1', epoch: 1 }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isFlowlaneError(err, 'FL_EXECUTION_FENCED')).toBe(true);
      expect(await s.read(run)).toHaveLength(1);
      await s.append(run, [nodeStarted(2)], { owner: 'o2', epoch: 2 });
      expect(await s.get(run)).toMatchObject({ owner: 'o2', epoch: 2, records: 2 });
    });

    it('claims without force only after the lease expired; renewals set the lease', async () => {
      const s = await make();
      const run = id('claim');
      // Held: a long lease (so a slow machine cannot let it expire between the calls).
      await s.create(run, [started()], { owner: 'o1', leaseMs: 60_000 });
      expect(await s.claim(run, { owner: 'o2', leaseMs })).toBeUndefined();
      expect(await s.renew(run, { owner: 'o1', epoch: 1 }, 60_000)).toBe(true);
      expect(await s.claim(run, { owner: 'o2', leaseMs })).toBeUndefined();
      // Expired: renewed for a short lease, then not renewed for longer than it.
      expect(await s.renew(run, { owner: 'o1', epoch: 1 }, leaseMs)).toBe(true);
      await sleep(leaseMs * 3);
      expect(await s.claim(run, { owner: 'o2', leaseMs: 60_000 })).toBe(2);
      expect(await s.renew(run, { owner: 'o1', epoch: 1 }, 60_000)).toBe(false);
      expect(await s.get(run)).toMatchObject({ owner: 'o2', epoch: 2 });
      expect(await s.claim(run, { owner: 'o3', leaseMs })).toBeUndefined();
    });

    it('lets exactly one of several concurrent claims of an expired lease win', async () => {
      const s = await make();
      const run = id('race');
      await s.create(run, [started()], { owner: 'o1', leaseMs });
      await sleep(leaseMs * 3);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, k) => Promise.resolve(s.claim(run, { owner: `c${k}`, leaseMs: 60_000 }))),
      );
      expect(results.filter((r) => r !== undefined)).toEqual([2]);
    });

    it('a finishing record marks the run finished: no more claims, renewals or appends', async () => {
      const s = await make();
      const run = id('finish');
      await s.create(run, [started()], { owner: 'o1', leaseMs: 60_000 });
      await s.append(run, [nodeStarted(2), nodeCompleted(3), completed(4)], { owner: 'o1', epoch: 1 });
      expect(await s.get(run)).toMatchObject({ status: 'success', finishedAt: 2_000, records: 4 });
      expect(await s.claim(run, { owner: 'o2', leaseMs: 60_000, force: true })).toBeUndefined();
      expect(await s.renew(run, { owner: 'o1', epoch: 1 }, 60_000)).toBe(false);
      const err = await Promise.resolve()
        .then(() => s.append(run, [nodeStarted(5)], { owner: 'o1', epoch: 1 }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isFlowlaneError(err)).toBe(true);
      expect(await s.read(run)).toHaveLength(4);
    });

    it('lists runs newest first, filtered by status and workflow, in pages', async () => {
      const s = await make();
      const wf = id('wf');
      const ids: string[] = [];
      for (let k = 0; k < 5; k++) {
        const run = id(`list${k}`);
        ids.push(run);
        await s.create(run, [started(1, wf)], { owner: 'o1', leaseMs: 60_000 });
        if (k % 2 === 0) await s.append(run, [completed(2)], { owner: 'o1', epoch: 1 });
        await sleep(2);
      }
      const all = await s.list({ workflow: wf });
      expect(all.runs.map((r) => r.executionId)).toEqual([...ids].reverse());
      const done = await s.list({ workflow: wf, status: 'success' });
      expect(done.runs.map((r) => r.executionId)).toEqual([ids[4], ids[2], ids[0]]);
      const running = await s.list({ workflow: wf, status: 'running' });
      expect(running.runs.map((r) => r.executionId)).toEqual([ids[3], ids[1]]);
      const page1 = await s.list({ workflow: wf, limit: 2 });
      expect(page1.runs.map((r) => r.executionId)).toEqual([ids[4], ids[3]]);
      expect(page1.cursor).toBeDefined();
      const page2 = await s.list({ workflow: wf, limit: 2, cursor: page1.cursor });
      expect(page2.runs.map((r) => r.executionId)).toEqual([ids[2], ids[1]]);
      const page3 = await s.list({ workflow: wf, limit: 2, cursor: page2.cursor });
      expect(page3.runs.map((r) => r.executionId)).toEqual([ids[0]]);
      expect(page3.cursor).toBeUndefined();
    });
  });
}

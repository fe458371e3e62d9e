import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { isFlowlaneError } from '../errors.js';
import type { QueuedRun, QueuedRunResult, RemoteChildRun, RunQueue } from '../plugin/contracts/run-queue.js';
import { definePlugin } from '../plugin/define-plugin.js';
import type { PluginApi } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import { createEngine } from './engine.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const doubler = workflow('doubler', { version: '2', priority: (c) => (c.input as { n: number }).n })
  .input<{ n: number }>()
  .addNode('twice', (ctx) => ctx.input.n * 2)
  .build();

/**
 * A run queue shared by engines of one process: `enqueue` stores runs, the serving engine (the one whose plugin
 * was made with `serve: true`) runs them with its registered definitions.
 */
function sharedQueue() {
  const stored: QueuedRun[] = [];
  const results = new Map<string, Promise<QueuedRunResult>>();
  let server: { api: PluginApi } | undefined;
  const start = (run: QueuedRun) => {
    if (server === undefined) throw new Error('no serving engine');
    results.set(
      run.executionId,
      server.api.runQueue.start(run).result.then((r) => ({ ...r, error: undefined }) as QueuedRunResult),
    );
  };
  const queue: RunQueue = {
    async enqueue(run) {
      stored.push(run);
      start(run);
    },
    result(executionId) {
      const r = results.get(executionId);
      return r ?? Promise.reject(new Error(`unknown run ${executionId}`));
    },
  };
  const plugin = (serve: boolean) =>
    definePlugin({
      name: 'test-run-queue',
      version: '1.0.0',
      flowlane: '*',
      setup(api) {
        api.runQueue.set(queue);
        if (serve) server = { api };
      },
    });
  return { stored, plugin };
}

describe('engine.enqueue and the run queue extension point', () => {
  it('without a queue plugin: FL_NO_RUN_QUEUE; bad options are typed', async () => {
    const engine = createEngine({ logger: quiet });
    try {
      await expect(engine.enqueue(doubler, { n: 1 })).rejects.toSatisfy((e) => isFlowlaneError(e, 'FL_NO_RUN_QUEUE'));
      await expect(engine.waitForResult('x')).rejects.toSatisfy((e) => isFlowlaneError(e, 'FL_NO_RUN_QUEUE'));
      await expect(engine.enqueue({} as Workflow<unknown, object>, {})).rejects.toSatisfy((e) =>
        isFlowlaneError(e, 'FL_NOT_A_WORKFLOW'),
      );
    } finally {
      await engine.close();
    }
    const q = sharedQueue();
    const withQueue = createEngine({ plugins: [q.plugin(false)], logger: quiet });
    try {
      await expect(withQueue.enqueue(doubler, { n: 1 }, { executionID: 'a' } as never)).rejects.toSatisfy(
        (e) => isFlowlaneError(e, 'FL_INVALID_OPTION') && /executionID/.test((e as Error).message),
      );
      await expect(withQueue.enqueue(doubler, { n: 1 }, { executionId: '' })).rejects.toSatisfy((e) =>
        isFlowlaneError(e, 'FL_INVALID_OPTION'),
      );
      expect(q.stored).toEqual([]);
    } finally {
      await withQueue.close();
    }
  });

  it('hands the run to the queue (name, version, input, actor, priority); another engine runs it by its registered definition', async () => {
    const q = sharedQueue();
    const runner = createEngine({ plugins: [q.plugin(true)], workflows: [doubler], logger: quiet });
    const producer = createEngine({ plugins: [q.plugin(false)], logger: quiet });
    try {
      await runner.ready();
      const queued = await producer.enqueue(doubler, { n: 21 }, { executionId: 'e-1', actor: { id: 'ada' } });
      expect(queued.executionId).toBe('e-1');
      expect(q.stored).toEqual([
        { executionId: 'e-1', workflow: 'doubler', version: '2', input: { n: 21 }, actor: { id: 'ada' }, priority: 21 },
      ]);
      const r = await queued.result();
      expect(r.status).toBe('success');
      expect(r.outputs).toEqual({ twice: 42 });
      expect((await producer.waitForResult('e-1')).outputs).toEqual({ twice: 42 });
      const auto = await producer.enqueue(doubler, { n: 1 }, { priority: 9 });
      expect(auto.executionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(q.stored[1]?.priority).toBe(9);
      // A queued run whose workflow version is not registered on the taking engine.
      await expect(
        producer.enqueue(
          workflow('unknown-here')
            .addNode('a', () => 1)
            .build(),
          {},
          { executionId: 'e-x' },
        ),
      ).rejects.toSatisfy((e) => isFlowlaneError(e, 'FL_VERSION_NOT_REGISTERED'));
    } finally {
      await producer.close();
      await runner.close();
    }
  });

  it('a subworkflow node with runOn goes to runChild: mapped input, its output, its events on the parent stream, abort on cancel; without runChild it runs in-process', async () => {
    const calls: RemoteChildRun[] = [];
    const child = workflow('child', { version: '1' })
      .input<{ v: number }>()
      .addNode('x', (ctx) => ctx.input.v + 1)
      .build();
    const parent = workflow('parent')
      .input<{ v: number; hang?: boolean }>()
      .subworkflow('remote', child, (ctx) => ({ v: ctx.input.v * 10 }), { runOn: 'eu' })
      .build();
    const remote = definePlugin({
      name: 'remote-children',
      version: '1.0.0',
      flowlane: '*',
      setup(api) {
        api.runQueue.set({
          enqueue: async () => undefined,
          result: () => Promise.reject(new Error('unused')),
          async runChild(req) {
            calls.push(req);
            req.onEvent({
              type: 'workflow.started',
              executionId: req.executionId,
              workflow: 'child',
              timestamp: 1,
              nodeCount: 1,
            });
            if ((req.input as { v: number }).v === 70)
              await new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(req.signal.reason)));
            return { x: 'from elsewhere' };
          },
        });
      },
    });
    const engine = createEngine({ plugins: [remote], logger: quiet });
    try {
      const run = engine.run(parent, { v: 3 });
      const events = await lastValueFrom(run.events$.pipe(toArray()));
      const r = await run.result;
      expect(r.outputs.remote).toEqual({ x: 'from elsewhere' });
      expect(calls[0]).toMatchObject({
        executionId: `${run.executionId}/remote`,
        workflow: 'child',
        version: '1',
        input: { v: 30 },
        group: 'eu',
        parentExecutionId: run.executionId,
        nodeId: 'remote',
        attempt: 1,
      });
      const forwarded = events.find((e) => e.executionId === `${run.executionId}/remote`);
      expect(forwarded).toMatchObject({ type: 'workflow.started', parentExecutionId: run.executionId });
      const hanging = engine.run(parent, { v: 7 });
      while (calls.length < 2) await new Promise((res) => setTimeout(res, 1));
      hanging.cancel('stop');
      expect((await hanging.result).status).toBe('cancelled');
      expect(calls[1]?.signal.aborted).toBe(true);
    } finally {
      await engine.close();
    }
    // A queue without runChild: the subworkflow runs here, as without any queue plugin.
    const local = createEngine({
      plugins: [
        definePlugin({
          name: 'q',
          version: '1.0.0',
          flowlane: '*',
          setup: (api) =>
            api.runQueue.set({ enqueue: async () => undefined, result: () => Promise.reject(new Error('x')) }),
        }),
      ],
      logger: quiet,
    });
    try {
      expect((await local.run(parent, { v: 3 }).result).outputs.remote).toEqual({ x: 31 });
    } finally {
      await local.close();
    }
  });

  it('two plugins setting a run queue → FL_PLUGIN_CONFLICT', async () => {
    const a = sharedQueue().plugin(false);
    const b = definePlugin({ ...a, name: 'other-queue' });
    const engine = createEngine({ plugins: [a, b], logger: quiet });
    await expect(engine.ready()).rejects.toSatisfy((e) => isFlowlaneError(e, 'FL_PLUGIN_CONFLICT'));
    await engine.close();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryExecutionStore } from '../defaults/memory-execution-store.js';
import { isFlowlaneError } from '../errors.js';
import type { ExecutionStore } from '../plugin/contracts/execution-store.js';
import type { Logger, SecretsProvider } from '../plugin/types.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { createEngine, type Engine } from './engine.js';
import { classifyStoreFailure, describeStoreError, UNKNOWN_FAILURE_LIMIT } from './store-write-errors.js';

const SECRET = 's3cr3t-token-value';
const secrets: SecretsProvider = { name: 'test', get: (n) => (n === 'tok' ? SECRET : undefined) };

/** What the logger was told, to check that retries are announced and the final failure is logged once. */
function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

/**
 * The memory store, with `append` failing while `failing()` says so (the first `create` succeeds, so the run is
 * durable and fails mid-way) — a store that really throws, not a stand-in for one.
 */
function failingStore(
  error: () => unknown,
  failing: (n: number, records: Parameters<ExecutionStore['append']>[1]) => boolean,
  extra: Partial<ExecutionStore> = {},
): ExecutionStore & { appends: number } {
  const inner = createMemoryExecutionStore();
  const store = Object.assign(Object.create(inner) as ExecutionStore, {
    name: 'flaky-memory',
    appends: 0,
    append(
      id: string,
      records: Parameters<ExecutionStore['append']>[1],
      fence: Parameters<ExecutionStore['append']>[2],
    ) {
      store.appends++;
      if (failing(store.appends, records)) throw error();
      return inner.append(id, records, fence);
    },
    ...extra,
  });
  return store;
}

const wf = workflow('store-write')
  .addNode('a', async (ctx) => (await ctx.getSecret('tok'))!.length)
  .chain('b', (ctx) => ctx.results.a + 1)
  .build();

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});
const engineWith = (executions: ExecutionStore, logger: Logger) => {
  const clock = createVirtualClock();
  const engine = createEngine({ executions, clock, logger, secrets: [secrets] });
  engines.push(engine);
  return { engine, clock };
};

describe('journal: permanent store write failures fail the run (FL_STORE_WRITE_FAILED)', () => {
  it('a store that says an error is permanent fails the run at the first failure, naming the error', async () => {
    const { logger, lines } = recordingLogger();
    const store = failingStore(
      () =>
        Object.assign(new Error(`ERR Error running script: @user_script:12: attempt to index nil (token ${SECRET})`), {
          name: 'ReplyError',
        }),
      // From the batch that records node a's output on: by then the run has resolved the secret.
      (_n, records) => records.some((r) => r.type === 'node.completed'),
      { isTransientError: () => false },
    );
    const { engine } = engineWith(store, logger);
    const result = await engine.run(wf, {}, { executionId: 'broken-script' }).result;
    expect(result.status).toBe('failed');
    expect(isFlowlaneError(result.error, 'FL_STORE_WRITE_FAILED')).toBe(true);
    expect(result.error).toMatchObject({
      details: { executionId: 'broken-script', store: 'flaky-memory', attempts: 1 },
    });
    const message = (result.error as Error).message;
    expect(message).toContain('ReplyError: ERR Error running script: @user_script:12: attempt to index nil');
    expect(message).not.toContain(SECRET);
    expect(lines.filter((l) => l.level === 'error' && l.message.includes('failed permanently'))).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('a run whose last records cannot be stored does not report success', async () => {
    const { logger } = recordingLogger();
    const store = failingStore(
      () =>
        Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), {
          name: 'ReplyError',
        }),
      (_n, records) => records.some((r) => r.type === 'workflow.completed'),
      { isTransientError: () => false },
    );
    const { engine } = engineWith(store, logger);
    const result = await engine.run(wf, {}, { executionId: 'late' }).result;
    expect(result.status).toBe('failed');
    expect(result.outputs).toEqual({ a: SECRET.length, b: SECRET.length + 1 });
    expect(result.error).toMatchObject({ code: 'FL_STORE_WRITE_FAILED', details: { attempts: 1 } });
    expect((await engine.runs.records('late'))?.map((r) => r.type)).not.toContain('workflow.completed');
  });

  it('typed Flowlane errors from the store (e.g. FL_EXECUTION_NOT_FOUND) are permanent without a classifier', async () => {
    const { logger } = recordingLogger();
    const store = failingStore(
      () => Object.assign(new Error('Execution "gone" does not exist.'), { code: 'FL_EXECUTION_NOT_FOUND' }),
      () => true,
    );
    // A real FlowlaneError, as the memory and Redis stores throw it when a run's log was removed.
    const { FlowlaneError } = await import('../errors.js');
    store.append = () => {
      store.appends++;
      throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId: 'gone' });
    };
    const { engine } = engineWith(store, logger);
    const result = await engine.run(wf, {}, { executionId: 'gone' }).result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'FL_STORE_WRITE_FAILED', details: { attempts: 1 } });
    expect((result.error as Error).message).toContain('FL_EXECUTION_NOT_FOUND');
  });

  it(`a store that always throws an unclassified error fails the run after ${UNKNOWN_FAILURE_LIMIT} attempts with backoff`, async () => {
    const { logger, lines } = recordingLogger();
    const store = failingStore(
      () => new Error('disk quota exceeded for redis://admin:hunter2@db.internal:6379/0'),
      () => true,
    );
    const { engine, clock } = engineWith(store, logger);
    const run = engine.run(wf, {}, { executionId: 'always-throws' });
    let settled = false;
    void run.result.finally(() => {
      settled = true;
    });
    await clock.advanceBy(1_000);
    expect(settled).toBe(false);
    await clock.runAll(60_000);
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'FL_STORE_WRITE_FAILED',
      details: { attempts: UNKNOWN_FAILURE_LIMIT, store: 'flaky-memory' },
    });
    expect(store.appends).toBe(UNKNOWN_FAILURE_LIMIT);
    const message = (result.error as Error).message;
    expect(message).toContain('disk quota exceeded for redis://***@db.internal:6379/0');
    expect(message).not.toContain('hunter2');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(lines.filter((l) => l.message.includes('retrying'))).toHaveLength(UNKNOWN_FAILURE_LIMIT - 1);
  });

  it('transient failures (connection lost) are retried without limit and the run completes', async () => {
    const { logger, lines } = recordingLogger();
    const failures = UNKNOWN_FAILURE_LIMIT * 2;
    const store = failingStore(
      () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      (n) => n <= failures,
    );
    const { engine, clock } = engineWith(store, logger);
    const run = engine.run(wf, {}, { executionId: 'transient' });
    await clock.runAll(5 * 60_000);
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.outputs).toEqual({ a: SECRET.length, b: SECRET.length + 1 });
    expect(lines.filter((l) => l.message.includes('retrying'))).toHaveLength(failures);
    expect((await engine.runs.records('transient'))?.at(-1)?.type).toBe('workflow.completed');
  });

  it("the store's isTransientError wins over the default rules", async () => {
    const { logger } = recordingLogger();
    const store = failingStore(
      () => new TypeError('would be permanent by default'),
      (n) => n <= UNKNOWN_FAILURE_LIMIT + 2,
      { isTransientError: (e) => e instanceof TypeError },
    );
    const { engine, clock } = engineWith(store, logger);
    const run = engine.run(wf, {}, { executionId: 'classified' });
    await clock.runAll(5 * 60_000);
    expect((await run.result).status).toBe('success');
  });
});

describe('classifyStoreFailure / describeStoreError', () => {
  const plain = createMemoryExecutionStore();
  it('classifies by transient flags and network codes (also in causes), typed and programming errors', () => {
    expect(classifyStoreFailure(plain, Object.assign(new Error('x'), { transient: false }))).toBe('permanent');
    expect(classifyStoreFailure(plain, new Error('wrapped', { cause: { code: 'ECONNREFUSED' } }))).toBe('transient');
    expect(classifyStoreFailure(plain, new RangeError('bad'))).toBe('permanent');
    expect(classifyStoreFailure(plain, new Error('who knows'))).toBe('unknown');
    const throwing = {
      ...plain,
      isTransientError: () => {
        throw new Error('classifier bug');
      },
    } as ExecutionStore;
    expect(classifyStoreFailure(throwing, new Error('who knows'))).toBe('unknown');
  });
  it('names the error with its code, without URL credentials, at most 500 characters', () => {
    const e = Object.assign(new Error(`connect to rediss://:pw@h:1 failed ${'x'.repeat(600)}`), { code: 'EPROTO' });
    const text = describeStoreError(e, (v) => v);
    expect(text.startsWith('Error EPROTO: connect to rediss://***@h:1 failed')).toBe(true);
    expect(text).toHaveLength(500);
  });
});

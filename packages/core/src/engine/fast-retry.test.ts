import { firstValueFrom, Observable, of, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { NodeOptions } from '../builder/types.js';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import type { Run, RunResult } from '../contracts/run-types.js';
import type { Middleware } from '../plugin/types.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import type { Workflow } from '../workflow.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

/** A middleware that only calls `next`: it sends every node through the RxJS operator pipeline. */
const passThrough: Middleware = (_ctx, next) => next();

/**
 * Runs `make`'s workflow twice on virtual time — once on the ready-queue's direct retry path (no middleware), once
 * through the operator pipeline (a pass-through middleware) — and returns both runs' events (ids and durations
 * normalised), results and the virtual times the node functions saw.
 */
async function bothPaths(
  make: (clock: { now(): number }, log: number[]) => Workflow<unknown, object>,
  drive?: (run: Run, clock: ReturnType<typeof createVirtualClock>) => Promise<void>,
): Promise<{ direct: Outcome; pipeline: Outcome }> {
  const one = async (middleware: Middleware[]): Promise<Outcome> => {
    const clock = createVirtualClock();
    const times: number[] = [];
    const wf = make(clock, times);
    const run = engine({ clock, middleware }).run(wf, {}, { executionId: 'run-1' });
    if (drive !== undefined) await drive(run, clock);
    await clock.runAll();
    const result = await run.result;
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    // Per node, in order: with a middleware, sibling nodes interleave differently (a promise hop per attempt).
    const byNode: Record<string, unknown[]> = {};
    for (const e of events) (byNode[(e as { nodeId?: string }).nodeId ?? '(run)'] ??= []).push(normalise(e));
    return {
      events: byNode,
      result: normaliseResult(result),
      times: times.sort((x, y) => x - y),
      pending: clock.pending(),
    };
  };
  return { direct: await one([]), pipeline: await one([passThrough]) };
}

interface Outcome {
  readonly events: Record<string, unknown[]>;
  readonly result: unknown;
  readonly times: number[];
  readonly pending: number;
}

function normalise(e: FlowEvent): unknown {
  const { executionId: _, ...rest } = e as FlowEvent & { error?: { stack?: string } };
  if (rest.error !== undefined) rest.error = { ...rest.error, stack: rest.error.stack === undefined ? 'none' : 'set' };
  return rest;
}

function normaliseResult(r: RunResult): unknown {
  return JSON.parse(
    JSON.stringify({ ...r, executionId: 'x', error: r.error?.message }, (k, v: unknown) =>
      k === 'stack' ? (v === undefined ? 'none' : 'set') : v,
    ),
  ) as unknown;
}

class Transient extends Error {
  override name = 'Transient';
}

describe('direct retries (nodes whose only option is retry) behave as the operator pipeline', () => {
  it('exponential backoff on the clock, sync and async failures: same events, records and times', async () => {
    const { direct, pipeline } = await bothPaths((clock, times) => {
      let a = 0;
      let b = 0;
      const retry = { maxAttempts: 4, initialInterval: 1000, backoffCoefficient: 3, maxInterval: 5000 };
      return workflow('backoff')
        .addNode(
          'sync',
          () => {
            times.push(clock.now());
            if (++a < 4) throw new Transient(`sync ${a}`);
            return a;
          },
          { retry },
        )
        .addNode(
          'async',
          async (ctx) => {
            times.push(clock.now());
            if (++b < 3) throw new Transient(`async ${b}`);
            return (ctx.results.sync as number) + b;
          },
          { retry, dependsOn: ['sync'] },
        )
        .build();
    });
    expect(direct.times).toEqual([0, 1000, 4000, 9000, 9000, 10_000, 13_000]);
    expect(direct).toEqual(pipeline);
    const retrying = [...direct.events.sync!, ...direct.events.async!].filter(
      (e) => (e as FlowEvent).type === 'node.retrying',
    );
    expect(retrying.map((e) => [(e as { attempt: number }).attempt, (e as { delayMs: number }).delayMs])).toEqual([
      [1, 1000],
      [2, 3000],
      [3, 5000],
      [1, 1000],
      [2, 3000],
    ]);
    expect(direct.result).toMatchObject({ status: 'success', outputs: { sync: 4, async: 7 } });
  });

  it('zero delay retries at once, many times, without recursion; exhausted attempts fail the node', async () => {
    const { direct, pipeline } = await bothPaths((clock, times) =>
      workflow('zero')
        .addNode(
          'always',
          () => {
            times.push(clock.now());
            throw new Transient('down');
          },
          { retry: { maxAttempts: 5000, initialInterval: 0 }, onError: 'continue' },
        )
        .addNode('after', () => 'ran', { dependsOn: ['always'] })
        .build(),
    );
    expect(direct.times).toHaveLength(5000);
    expect(direct).toEqual(pipeline);
    expect(direct.result).toMatchObject({ status: 'success', nodes: { always: { status: 'failed', attempts: 5000 } } });
  });

  it('nonRetryable, retryOn, onRetry (delay, false, throwing) and a fallback after the last attempt', async () => {
    const { direct, pipeline } = await bothPaths((clock, times) => {
      let n = 0;
      const retryOn: NodeOptions['retry'] = {
        maxAttempts: 5,
        initialInterval: 10,
        retryOn: ['Transient'],
      };
      return workflow('policies')
        .addNode(
          'typed',
          () => {
            times.push(clock.now());
            throw new TypeError('bad input');
          },
          { retry: { maxAttempts: 3, initialInterval: 1, nonRetryable: [TypeError] }, onError: 'continue' },
        )
        .addNode(
          'only-transient',
          () => {
            times.push(clock.now());
            throw ++n < 3 ? new Transient('again') : new RangeError('other');
          },
          { retry: retryOn, onError: 'continue' },
        )
        .addNode(
          'decides',
          () => {
            times.push(clock.now());
            throw new Transient('x');
          },
          {
            retry: {
              maxAttempts: 9,
              onRetry: (_e, attempt, ctx) => {
                if (ctx.nodeId !== 'decides') throw new Error('wrong ctx');
                return attempt === 1 ? 250 : attempt === 2 ? undefined : false;
              },
            },
            onError: 'continue',
          },
        )
        .addNode(
          'throws-in-onRetry',
          () => {
            throw new Transient('y');
          },
          {
            retry: {
              maxAttempts: 3,
              onRetry: () => {
                throw new Error('onRetry broke');
              },
            },
            fallback: 'spare',
          },
        )
        .addNode('spare', () => 'spare value')
        .build();
    });
    expect(direct).toEqual(pipeline);
    expect(direct.result).toMatchObject({
      status: 'success',
      nodes: {
        typed: { status: 'failed', attempts: 1 },
        'only-transient': { status: 'failed', attempts: 3 },
        decides: { status: 'failed', attempts: 3 },
      },
      outputs: { 'throws-in-onRetry': 'spare value' },
    });
  });

  it('observable results: an error is retried, the last value of the next attempt completes the node', async () => {
    const { direct, pipeline } = await bothPaths(() => {
      let n = 0;
      return workflow('obs')
        .addNode(
          'stream',
          () =>
            ++n === 1
              ? throwError(() => new Transient('first'))
              : new Observable<number>((s) => {
                  s.next(1);
                  s.next(2);
                  s.complete();
                }),
          { retry: { maxAttempts: 2, initialInterval: 0 } },
        )
        .build();
    });
    expect(direct).toEqual(pipeline);
    expect(direct.result).toMatchObject({
      status: 'success',
      outputs: { stream: 2 },
      nodes: { stream: { attempts: 2 } },
    });
  });

  it('observables that fail while subscribed are retried in a loop (5,000 zero-delay attempts, no deep stack)', async () => {
    const { direct, pipeline } = await bothPaths((clock, times) =>
      workflow('sync-obs')
        .addNode(
          'fails',
          () => {
            times.push(clock.now());
            return times.length < 5000 ? throwError(() => new Transient('again')) : of('done');
          },
          { retry: { maxAttempts: 5000, initialInterval: 0 } },
        )
        .build(),
    );
    expect(direct.times).toHaveLength(5000);
    expect(direct).toEqual(pipeline);
    expect(direct.result).toMatchObject({ status: 'success', outputs: { fails: 'done' } });
  });

  it('cancelling during a retry delay clears the timer and the node is not called again', async () => {
    const drive = async (run: Run, clock: ReturnType<typeof createVirtualClock>): Promise<void> => {
      await clock.advanceBy(500);
      run.cancel('stop');
    };
    const { direct, pipeline } = await bothPaths((clock, times) => {
      return workflow('cancel')
        .addNode(
          'slow-retry',
          () => {
            times.push(clock.now());
            throw new Transient('down');
          },
          { retry: { maxAttempts: 3, initialInterval: 1000 } },
        )
        .build();
    }, drive);
    expect(direct.times).toEqual([0]);
    expect(direct.pending).toBe(0);
    expect(direct).toEqual(pipeline);
    expect(direct.result).toMatchObject({ status: 'cancelled', nodes: { 'slow-retry': { status: 'cancelled' } } });
  });
});

// Seed 003 "Retry Strategies": exponential backoff, linear backoff and a custom `onRetry` that waits a minute on a
// RATE_LIMIT error. Policies are plain values; every delay runs on the engine clock, so `main()` runs the 64 s of
// backoff on a virtual clock in a few milliseconds (and the tests check each delay exactly).
import { createEngine, createVirtualClock, type FlowEventOf, type RetryPolicy, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';

/** Exponential backoff: 1 s, 2 s, 4 s, 8 s … capped at 30 s. */
export const exponentialRetry = {
  maxAttempts: 5,
  initialInterval: 1000,
  backoffCoefficient: 2,
  maxInterval: 30_000,
} as const satisfies RetryPolicy;

/** Linear (constant) backoff: 5 s between attempts. */
export const linearRetry = {
  maxAttempts: 3,
  initialInterval: 5000,
  backoffCoefficient: 1,
} as const satisfies RetryPolicy;

/** An error carrying a machine-readable code, as HTTP clients throw them. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly code: 'RATE_LIMIT' | 'UNAVAILABLE',
    message: string,
  ) {
    super(message);
  }
}

const codeOf = (error: unknown): string | undefined => (error instanceof UpstreamError ? error.code : undefined);

/** Custom: wait a minute after a rate limit, otherwise 2^attempt seconds. */
export const customRetry = {
  maxAttempts: 3,
  onRetry: (error: unknown, attempt: number) => (codeOf(error) === 'RATE_LIMIT' ? 60_000 : 2 ** attempt * 1000),
} as const satisfies RetryPolicy;

/** A call that fails with `errors[attempt - 1]` until the errors run out. */
const flaky =
  (errors: readonly Error[], value: string) =>
  (ctx: { readonly attempt: number }): string => {
    const error = errors[ctx.attempt - 1];
    if (error !== undefined) throw error;
    return `${value} after ${ctx.attempt} attempts`;
  };

const unavailable = (n: number) => Array.from({ length: n }, () => new UpstreamError('UNAVAILABLE', 'upstream 503'));

/** Three independent nodes, one per policy, each failing a few times before it succeeds. */
export const retryWorkflow = workflow('retry-strategies')
  .addNode('exponential', flaky(unavailable(4), 'exponential'), { retry: exponentialRetry })
  .addNode('linear', flaky(unavailable(2), 'linear'), { retry: linearRetry })
  .addNode('custom', flaky([new UpstreamError('RATE_LIMIT', '429 too many requests'), ...unavailable(1)], 'custom'), {
    retry: customRetry,
  })
  .build();

/** Runs the workflow on a virtual clock and prints every retry with its (virtual) time. */
export async function main({ log = console.log }: ScenarioOptions = {}) {
  const clock = createVirtualClock();
  const engine = createEngine({ clock });
  try {
    const run = engine.run(retryWorkflow, {});
    const retries: FlowEventOf<'node.retrying'>[] = [];
    run.events$.subscribe((e) => {
      if (e.type === 'node.retrying') retries.push(e);
    });
    const started = performance.now();
    await clock.runAll();
    const result = await run.result;
    for (const e of retries)
      log(
        `t=${String(e.timestamp / 1000).padStart(4)} s  ${e.nodeId.padEnd(11)} attempt ${e.attempt} failed (${e.error.message}), retrying in ${e.delayMs / 1000} s`,
      );
    for (const [id, node] of Object.entries(result.nodes))
      log(`${id.padEnd(11)} ${node.status}: ${result.outputs[id as keyof typeof result.outputs]}`);
    log(`${clock.now() / 1000} s of virtual time in ${Math.round(performance.now() - started)} ms of real time`);
    return { result, retries };
  } finally {
    await engine.close();
  }
}

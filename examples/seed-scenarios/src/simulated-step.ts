import type { NodeContext } from '@flowlane/core';
import type { Sleep } from './sleep.js';

/** Per-step failure injection: how many attempts fail (`'always'`: every one). */
export type Failures = Readonly<Record<string, number | 'always'>>;

/** The input every simulated pipeline takes: optional failure injection. */
export interface StepInput {
  readonly failures?: Failures | undefined;
}

/** An error from a simulated step. */
export class StepError extends Error {
  override readonly name = 'StepError';
}

/**
 * Simulated work inside a node: logs what it does, works `ms` (abortable through `ctx.signal`), then throws if the
 * run's `input.failures` says this attempt of this node fails.
 */
export async function simulateWork(
  ctx: NodeContext<StepInput, unknown>,
  sleep: Sleep,
  doing: string,
  ms: number,
): Promise<void> {
  ctx.log.info(doing);
  await sleep(ms, ctx.signal);
  const failing = ctx.input.failures?.[ctx.nodeId];
  if (failing === 'always' || (failing !== undefined && ctx.attempt <= failing))
    throw new StepError(`${ctx.nodeId} failed on attempt ${ctx.attempt}`);
}

/** A node that does {@link simulateWork}, then returns `output` (a value, or computed from the run input). */
export function simulatedStep<TIn extends StepInput, R>(
  sleep: Sleep,
  doing: string,
  ms: number,
  output: R | ((input: TIn) => R),
) {
  return async (ctx: NodeContext<TIn>): Promise<R> => {
    await simulateWork(ctx, sleep, doing, ms);
    return typeof output === 'function' ? (output as (input: TIn) => R)(ctx.input) : output;
  };
}

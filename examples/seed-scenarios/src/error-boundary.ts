// Seed 003 "Error Boundaries": `error-handler` catches NetworkError and timeouts of `risky-operation` (after its
// retries) and returns a replacement value that dependents receive. Any other error still fails the run.
// The seed's `TimeoutError` class is the engine's `FL_TIMEOUT` code here: the node's own `timeout` produces it.
import { createEngine, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';
import { realSleep, type Sleep } from './sleep.js';

export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

/** What the simulated remote call does. */
export type Failure = 'none' | 'network' | 'timeout' | 'validation';

export interface BoundaryWorkflowOptions {
  readonly sleep?: Sleep | undefined;
  /** `risky-operation`'s timeout, ms. Default 5000. */
  readonly timeoutMs?: number | undefined;
  /** Delay before `risky-operation`'s one retry, ms. Default 100. */
  readonly retryIntervalMs?: number | undefined;
}

export function createBoundaryWorkflow({
  sleep = realSleep,
  timeoutMs = 5000,
  retryIntervalMs = 100,
}: BoundaryWorkflowOptions = {}) {
  return workflow('error-boundary')
    .input<{ failure: Failure }>()
    .addNode(
      'risky-operation',
      async (ctx): Promise<{ recovered: boolean; data?: string | undefined }> => {
        switch (ctx.input.failure) {
          case 'network':
            throw new NetworkError('ECONNRESET while calling inventory-service');
          case 'validation':
            throw new ValidationError('inventory-service answered with an invalid payload');
          case 'timeout':
            await sleep(timeoutMs * 2, ctx.signal); // never answers in time: the node's timeout aborts it
            break;
          case 'none':
            break;
        }
        return { recovered: false, data: 'inventory snapshot' };
      },
      { timeout: timeoutMs, retry: { maxAttempts: 2, initialInterval: retryIntervalMs } },
    )
    .addNode(
      'error-handler',
      (ctx, error) => {
        ctx.log.warn('recovering', { error: error instanceof Error ? error.message : String(error) });
        return { recovered: true, data: undefined };
      },
      { onError: true, forNodes: ['risky-operation'], errorTypes: [NetworkError, 'FL_TIMEOUT'] },
    )
    .addNode(
      'report',
      (ctx) =>
        ctx.results['risky-operation'].recovered ? 'report from cached inventory' : 'report from live inventory',
      { dependsOn: ['risky-operation'] },
    )
    .build();
}

/** Runs every kind of failure and prints how each run ended. */
export async function main({ log = console.log, sleep }: ScenarioOptions = {}) {
  const wf = createBoundaryWorkflow({ sleep, timeoutMs: 200 });
  const engine = createEngine();
  try {
    const failures: Failure[] = ['none', 'network', 'timeout', 'validation'];
    const results = await Promise.all(failures.map((failure) => engine.run(wf, { failure }).result));
    for (const [k, r] of results.entries()) {
      const node = r.nodes['risky-operation'];
      const how = node?.handledBy === undefined ? '' : ` (handled by ${node.handledBy}: ${node.error?.message})`;
      log(
        `${failures[k]!.padEnd(10)} → run ${r.status}; risky-operation ${node?.status}${how}; report: ${r.outputs.report ?? r.error?.message}`,
      );
    }
    return results;
  } finally {
    await engine.close();
  }
}

import type { Engine } from '@flowlane/core';

/** What {@link closeDuringSetup} saw. */
export interface CloseDuringSetup {
  /** How long `engine.close()` took, in ms. */
  readonly closeMs: number;
  /** What `engine.ready()` rejected with afterwards (`undefined` if setup had succeeded). */
  readonly readyError: unknown;
}

/**
 * Closes `engine` at once — call it while its plugins' `setup` still waits, e.g. for a server that does not answer —
 * and reports how long `close()` took and what `ready()` rejected with. A plugin that passes core's `api.signal` to
 * what its setup waits for lets `close()` settle at once, and `ready()` rejects with `FL_ENGINE_CLOSED`; a setup that
 * ignores the signal holds `close()` for core's 5 s grace period.
 *
 * @example
 * ```ts
 * import { createEngine, type FlowlanePlugin, isFlowlaneError } from '@flowlane/core';
 * import { closeDuringSetup } from '@flowlane/testing';
 * import { expect, it } from 'vitest';
 *
 * declare const myPlugin: FlowlanePlugin; // configured for a server that accepts and never answers
 *
 * it('gives up its first connection when the engine closes', async () => {
 *   const { closeMs, readyError } = await closeDuringSetup(createEngine({ plugins: [myPlugin] }));
 *   expect(closeMs).toBeLessThan(2_000);
 *   expect(isFlowlaneError(readyError, 'FL_ENGINE_CLOSED')).toBe(true);
 * });
 * ```
 */
export async function closeDuringSetup(engine: Engine): Promise<CloseDuringSetup> {
  const t0 = performance.now();
  await engine.close();
  const closeMs = performance.now() - t0;
  const readyError = await engine.ready().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { closeMs, readyError };
}

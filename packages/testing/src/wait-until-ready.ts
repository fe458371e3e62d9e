/* Internal: poll a readiness probe until it passes, the process dies, or the deadline passes. */
import { ServiceStartError } from './errors.js';
import type { ServiceProcess } from './process.js';

/** Options of {@link waitUntilReady}. */
export interface WaitUntilReadyOptions {
  /** Service name used in errors. */
  readonly service: string;
  /** The process being started; its death ends the wait immediately. */
  readonly process: ServiceProcess;
  /** Resolves `true` once the service answers like a ready one; may throw or resolve `false` before. */
  readonly probe: () => Promise<boolean>;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between probes. */
  readonly intervalMs?: number | undefined;
}

/**
 * Waits until `probe` succeeds. Throws {@link ServiceStartError} (with the process's output tail) when the
 * process exits first or the timeout passes. There is no event for "ready", so this polls — but a dying process
 * interrupts the pause at once.
 */
export async function waitUntilReady(options: WaitUntilReadyOptions): Promise<void> {
  const { service, process: proc, probe, timeoutMs, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no probe answered yet';
  for (;;) {
    if (proc.exitStatus) {
      throw new ServiceStartError(
        service,
        `${proc.command} exited with ${proc.describeExit()} before it was ready`,
        proc.output(),
      );
    }
    try {
      if (await probe()) return;
      lastProblem = 'probe answered but not ready';
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (proc.exitStatus) continue;
    if (Date.now() >= deadline) {
      throw new ServiceStartError(
        service,
        `not ready after ${timeoutMs} ms (last probe: ${lastProblem})`,
        proc.output(),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, intervalMs))), proc.exited]);
    clearTimeout(timer);
  }
}

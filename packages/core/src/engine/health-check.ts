import type { SchedulerLike } from 'rxjs';
import type { NodeOptions } from '../builder/types.js';
import { FlowlaneError } from '../errors.js';
import type { ExecOptions } from '../plugin/types.js';
import type { RunHost } from './run-host.js';

/** Per-attempt limit of a health check command without `timeout`, ms. */
const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 30_000;

/** Exec options of a health check or rollback command: argv when `args` are given, else a shell script. */
export function commandOptions(
  c: {
    readonly args?: readonly string[] | undefined;
    readonly env?: Readonly<Record<string, string>> | undefined;
    readonly cwd?: string | undefined;
    readonly timeout?: number | undefined;
  },
  defaultTimeout: number,
): Omit<ExecOptions, 'signal'> {
  return {
    args: c.args,
    shell: c.args === undefined,
    timeout: c.timeout ?? defaultTimeout,
    ...(c.env === undefined ? {} : { env: c.env }),
    ...(c.cwd === undefined ? {} : { cwd: c.cwd }),
  };
}

/**
 * Node `i`'s `healthCheck` after its function succeeded: the command runs up to `retries` times, `interval` ms apart
 * on the engine clock, each attempt reported as `node.health-checked`; `FL_HEALTH_CHECK_FAILED` when none passed.
 */
export async function runHealthCheck(
  h: RunHost,
  i: number,
  check: NonNullable<NodeOptions['healthCheck']>,
): Promise<void> {
  const retries = check.retries ?? 1;
  const interval = check.interval ?? 1000;
  const nodeId = h.g.ids[i]!;
  const clock = h.rt.clock;
  const options = commandOptions(check, DEFAULT_HEALTH_CHECK_TIMEOUT_MS);
  let last: unknown;
  for (let k = 1; k <= retries; k++) {
    const t0 = clock.now();
    let error: unknown;
    let passed = false;
    try {
      await h.execHandle(i, check.command, options, h.runSignal()).result;
      passed = true;
    } catch (e) {
      error = last = e;
    }
    if (h.isDone()) return; // the run ended while the check ran: its outcome no longer matters
    h.emit({
      type: 'node.health-checked',
      executionId: h.executionId,
      workflow: h.workflow,
      timestamp: clock.now(),
      nodeId,
      attempt: k,
      maxAttempts: retries,
      passed,
      durationMs: clock.now() - t0,
      ...(passed ? {} : { error: h.serialize(error, false) }),
    });
    if (passed) return;
    if (k < retries) await sleep(clock, h.runSignal(), interval);
  }
  throw new FlowlaneError(
    'FL_HEALTH_CHECK_FAILED',
    { nodeId, attempts: retries, reason: h.serialize(last).message },
    { cause: last },
  );
}

/** Waits `ms` on the engine clock; rejects with the abort reason when `signal` aborts first. */
function sleep(clock: SchedulerLike, signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      action.unsubscribe();
      reject(signal.reason);
    };
    const action = clock.schedule(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

import { FlowlaneError, isFlowlaneError, serializeError } from '../errors.js';
import type { RunState } from './run-state.js';

/*
 * A run ended from outside its graph: by its durable log (fenced, refused), by flow control, or before it started.
 */

/** The log can no longer be written (fenced, duplicate id): the run stops here without a final record. */
export function stopDurable(x: RunState, error: FlowlaneError, status: 'cancelled' | 'failed' = 'cancelled'): void {
  if (x.done) {
    // The run ended but its last records cannot be stored: it is not durable, so its result is a failure.
    if (status === 'failed') x.storeFailure = error;
    return;
  }
  x.runError = error;
  // Cancelled when another engine owns the run now or it never became durable (no rollback runs here); failed when
  // the store refused the log for good (FL_STORE_WRITE_FAILED): the run ends as any failed run does.
  x.finish(status);
}

/** Flow control ended this run before it started (e.g. `FL_RATE_LIMITED` with `rateLimit.mode: 'drop'`). */
export function dropBeforeStart(x: RunState, error: FlowlaneError): void {
  if (x.done) return;
  x.runError = error;
  x.finish('cancelled');
}

/** The engine could not start this run (plugin setup failed). */
export function failBeforeStart(x: RunState, error: unknown): void {
  x.runError = isFlowlaneError(error)
    ? (error as FlowlaneError)
    : new FlowlaneError(
        'FL_PLUGIN_SETUP_FAILED',
        { plugin: '(unknown)', reason: serializeError(error).message },
        { cause: error },
      );
  x.finish('failed');
}

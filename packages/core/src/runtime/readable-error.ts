import { UNREADABLE_ERROR } from '../errors.js';

/**
 * A thrown value the engine can read safely: the value itself, or — when reading it throws (a revoked Proxy, an
 * Error whose `message`, `name`, `code`, `cause` or, with `stack`, `stack` getter throws) — a plain Error with the
 * message `[unreadable error]`. Node failures go through this before anything else looks at them, so a hostile
 * value can neither leave a run unsettled nor make `close()` reject.
 *
 * @example
 * ```ts fragment
 * const { proxy, revoke } = Proxy.revocable({}, {}); revoke();
 * readableThrown(proxy).message; // '[unreadable error]'
 * ```
 */
export function readableThrown(error: unknown, stack = false): unknown {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return error;
  try {
    if (error instanceof Error) {
      void error.message;
      void error.name;
      void (error as { code?: unknown }).code;
      void error.cause;
      if (stack) void error.stack;
    } else void (error as { code?: unknown }).code;
    return error;
  } catch {
    return new Error(UNREADABLE_ERROR);
  }
}

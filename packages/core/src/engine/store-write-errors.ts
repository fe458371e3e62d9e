/* How the journal tells a store write that may succeed when retried from one that cannot. */
import { isFlowlaneError, serializeError } from '../errors.js';
import type { ExecutionStore } from '../plugin/contracts/execution-store.js';

/** Node / undici error codes of a lost, refused or timed-out connection: a retry may succeed. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOTCONN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** `transient`: retry without limit; `permanent`: fail the run now; `unknown`: retry a few times, then fail. */
export type StoreFailure = 'transient' | 'permanent' | 'unknown';

/** Consecutive failed writes with errors nobody classified before the run is failed. */
export const UNKNOWN_FAILURE_LIMIT = 8;

/**
 * Classifies a failed `create` / `append`: the store's own `isTransientError` when it has one; else an error (or one
 * of its causes) with `transient: true|false` or a network error code; else a typed Flowlane error or a programming
 * error (`TypeError`, `RangeError`, `SyntaxError`, `ReferenceError`) is permanent, anything else unknown.
 */
export function classifyStoreFailure(store: ExecutionStore, error: unknown): StoreFailure {
  if (typeof store.isTransientError === 'function') {
    try {
      return store.isTransientError(error) ? 'transient' : 'permanent';
    } catch {
      // A classifier that throws classifies nothing: use the rules below.
    }
  }
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { transient, code } = e as { transient?: unknown; code?: unknown };
    if (transient === true) return 'transient';
    if (transient === false) return 'permanent';
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'transient';
    e = (e as { cause?: unknown }).cause;
  }
  if (isFlowlaneError(error)) return 'permanent';
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  )
    return 'permanent';
  return 'unknown';
}

/**
 * The store's error as one line for `FL_STORE_WRITE_FAILED`: name, code and message, with credentials in URLs and
 * (through `redact`) the run's secrets removed, at most 500 characters.
 */
export function describeStoreError(error: unknown, redact: (value: unknown) => unknown): string {
  const s = serializeError(error, { stack: false });
  const code = (error as { code?: unknown } | null)?.code;
  const head = typeof code === 'string' && !s.message.includes(code) ? `${s.name} ${code}` : s.name;
  const text = `${head}: ${s.message}`.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
  const redacted = redact(text);
  const line = typeof redacted === 'string' ? redacted : text;
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}

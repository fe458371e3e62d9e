/* Internal: ssh2 and socket errors → FL_SSH_ codes. */
import { SshExecutorError } from './errors.js';

/** Who was being reached when the error happened. */
export interface ConnectContext {
  readonly host: string;
  readonly address: string;
  readonly username: string;
  readonly connectTimeoutMs: number;
}

const UNREACHABLE = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
]);

/** Maps an error raised while connecting (before `ready`) to a typed error. */
export function mapConnectError(error: unknown, ctx: ConnectContext): SshExecutorError {
  if (SshExecutorError.is(error)) return error;
  const e = error as { message?: unknown; code?: unknown; level?: unknown };
  const reason = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'string' ? e.code : undefined;
  const base = { host: ctx.host, address: ctx.address };
  const opts = { cause: error };
  if (e.level === 'client-authentication' || /passphrase|privateKey|private key/i.test(reason))
    return new SshExecutorError('FL_SSH_AUTH_FAILED', { ...base, username: ctx.username, reason }, opts);
  if (code === 'ECONNREFUSED') return new SshExecutorError('FL_SSH_CONNECTION_REFUSED', { ...base, reason }, opts);
  if ((code !== undefined && UNREACHABLE.has(code)) || e.level === 'client-dns')
    return new SshExecutorError('FL_SSH_HOST_UNREACHABLE', { ...base, reason }, opts);
  if (code === 'ETIMEDOUT' || e.level === 'client-timeout')
    return new SshExecutorError('FL_SSH_TIMEOUT', { ...base, ms: ctx.connectTimeoutMs }, opts);
  return new SshExecutorError('FL_SSH_CONNECTION_FAILED', { ...base, reason }, opts);
}

/* Internal: client-node failures (REST ApiException, fetch errors, WebSocket upgrade errors) → typed errors. */
import { KubernetesExecutorError } from './errors.js';

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** HTTP status of a failed REST call or WebSocket upgrade, if any. */
export function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code; // ApiException
  const message = (error as { message?: unknown } | null)?.message;
  const m = typeof message === 'string' ? /Unexpected server response: (\d{3})/.exec(message) : null;
  return m ? Number(m[1]) : undefined;
}

/** The API server's own message (`Status.message`) or the error's. */
export function reasonOf(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      if (body.trim() !== '') return body.trim();
    }
  }
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : String(error);
}

function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK.has(code)) return code;
    e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
  }
  return undefined;
}

/** Maps any failure of `operation` to a typed error; 404 handling is left to callers that know the object. */
export function toKubernetesError(operation: string, error: unknown, server: string): Error {
  if (error instanceof KubernetesExecutorError) return error;
  const status = httpStatusOf(error);
  if (status === 401) return new KubernetesExecutorError('FL_K8S_UNAUTHORIZED', { server }, { cause: error });
  if (status === 403)
    return new KubernetesExecutorError('FL_K8S_FORBIDDEN', { operation, reason: reasonOf(error) }, { cause: error });
  const net = status === undefined ? networkCode(error) : undefined;
  if (net !== undefined)
    return new KubernetesExecutorError(
      'FL_K8S_UNREACHABLE',
      { server, reason: `${net}: ${reasonOf(error)}` },
      { cause: error },
    );
  return new KubernetesExecutorError(
    'FL_K8S_API_ERROR',
    { operation, status: status ?? null, reason: reasonOf(error) },
    { cause: error },
  );
}

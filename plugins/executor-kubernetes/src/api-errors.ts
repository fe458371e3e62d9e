/* Internal: client-node failures (REST ApiException, fetch errors, WebSocket upgrade errors) → typed errors. */
import { KubernetesExecutorError } from './errors.js';

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']);

/** HTTP status of a failed REST call or WebSocket upgrade, if any. */
export function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return code; // ApiException
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number') return statusCode; // a watch the server refused
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

/**
 * Node's codes for a server certificate the client does not trust or that does not match the address (OpenSSL's
 * X509 verify results as node names them, plus the host-name check).
 */
const TLS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The first string `code` in `set` on the error or its `cause` / `error` chain (fetch and ws wrap them). */
function codeIn(set: ReadonlySet<string>, error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && set.has(code)) return code;
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
  const tls = status === undefined ? codeIn(TLS, error) : undefined;
  if (tls !== undefined)
    return new KubernetesExecutorError('FL_K8S_TLS_FAILED', { server, reason: tls }, { cause: error });
  const net = status === undefined ? codeIn(NETWORK, error) : undefined;
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

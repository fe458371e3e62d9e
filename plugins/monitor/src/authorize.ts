/* Internal: who may open the event stream. Runs before the WebSocket upgrade. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Checks a request before the upgrade. */
export type Authorizer = (
  req: IncomingMessage,
) => Promise<{ readonly ok: true } | { readonly ok: false; readonly status: 401 | 403 }>;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison of two strings (through fixed-length digests, so lengths do not leak either). */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries: `Authorization: Bearer <token>`, else `?token=` (browsers cannot set headers). */
export function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (m !== null) return m[1];
  }
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  return q ?? undefined;
}

/** Origin check: no Origin header (not a browser), the server's own origin, or one of `allowed`. */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  const host = req.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

export function createAuthorizer(options: {
  readonly token?: string | undefined;
  readonly authenticate?: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  readonly allowedOrigins: readonly string[];
}): Authorizer {
  const { token, authenticate, allowedOrigins } = options;
  return async (req) => {
    if (!originAllowed(req, allowedOrigins)) return { ok: false, status: 403 };
    if (token !== undefined) {
      const given = tokenOf(req);
      if (given !== undefined && tokensEqual(given, token)) return { ok: true };
    }
    if (authenticate !== undefined) {
      try {
        if ((await authenticate(req)) === true) return { ok: true };
      } catch {
        // A throwing hook refuses, like `false`.
      }
    }
    return { ok: false, status: 401 };
  };
}

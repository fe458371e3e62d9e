/* Internal: small readiness probes that need no client library. */
import { connect } from 'node:net';

/**
 * Opens a TCP connection, optionally writes `send`, and resolves with everything received once `done(received)`
 * holds. Rejects on connection errors, on close before `done`, and after `timeoutMs`.
 */
export function tcpExchange(options: {
  host: string;
  port: number;
  send?: string | undefined;
  done: (received: string) => boolean;
  timeoutMs?: number | undefined;
}): Promise<string> {
  const { host, port, send, done, timeoutMs = 1000 } = options;
  return new Promise((resolve, reject) => {
    let received = '';
    let settled = false;
    const socket = connect({ host, port });
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(received);
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (done(received)) finish(undefined);
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () =>
      finish(new Error(`${host}:${port} closed the connection (received ${JSON.stringify(received)})`)),
    );
  });
}

/** `true` when the Redis server at host:port answers `PING` with `+PONG` (raw RESP, no client library). */
export async function redisPing(host: string, port: number): Promise<boolean> {
  const reply = await tcpExchange({ host, port, send: 'PING\r\n', done: (r) => r.includes('\r\n') });
  return reply.startsWith('+PONG');
}

/** `true` when the server at host:port greets with an `SSH-2.0-…` identification line. */
export async function sshBanner(host: string, port: number): Promise<boolean> {
  const banner = await tcpExchange({ host, port, done: (r) => r.includes('\n') });
  return banner.startsWith('SSH-2.0-');
}

/** `true` when `GET url` answers 200. */
export async function httpOk(url: string, timeoutMs = 1000): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.status === 200;
}

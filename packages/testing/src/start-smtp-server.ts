import type { AddressInfo } from 'node:net';
import type { SMTPServer as SMTPServerType } from 'smtp-server';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';

/** One message received by {@link startSmtpServer}. */
export interface ReceivedMail {
  /** Envelope sender (`MAIL FROM`). */
  readonly from: string;
  /** Envelope recipients (`RCPT TO`). */
  readonly to: readonly string[];
  /** The raw RFC 5322 message (headers and body). */
  readonly raw: string;
  /** The user that authenticated, when the client sent credentials. */
  readonly user?: string | undefined;
}

/** Options of {@link startSmtpServer}. */
export interface StartSmtpServerOptions {
  /** Require `AUTH PLAIN/LOGIN` with these credentials. Default: no authentication. */
  readonly auth?: { readonly user: string; readonly pass: string } | undefined;
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 collecting every message. */
export interface SmtpService extends ServiceHandle {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** Messages received so far. Live array. */
  readonly messages: ReceivedMail[];
  /** Resolves once `count` messages arrived; rejects after `timeoutMs` (default 10 000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
}

/**
 * Starts a plain-text SMTP server (no TLS) on 127.0.0.1 and a random port; every accepted message is kept with its
 * envelope. Use it as the receiver of email channels.
 *
 * @example
 * ```ts
 * import { startSmtpServer } from '@flowlane/testing';
 *
 * await using smtp = await startSmtpServer();
 * console.log(smtp.port > 0); // true
 * ```
 */
export async function startSmtpServer(options: StartSmtpServerOptions = {}): Promise<SmtpService> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const auth = options.auth;
  // Loaded on first use: most suites importing @flowlane/testing never start an SMTP server.
  const { SMTPServer } = await import('smtp-server');
  const server: SMTPServerType = new SMTPServer({
    secure: false,
    disabledCommands: auth === undefined ? ['AUTH', 'STARTTLS'] : ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: auth === undefined,
    logger: false,
    onAuth(a, _session, callback) {
      if (auth !== undefined && a.username === auth.user && a.password === auth.pass)
        callback(null, { user: a.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        messages.push({
          from,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
        for (const w of [...waiters]) w();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const waitForMessages: SmtpService['waitForMessages'] = (count, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (messages.length < count) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve([...messages]);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`SMTP server: expected ${count} message(s) within ${timeoutMs} ms, got ${messages.length}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return createServiceHandle({ host: '127.0.0.1', port, messages, waitForMessages }, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

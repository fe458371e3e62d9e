import { connect, type Socket } from 'node:net';
import { allKeys } from '@flowlane/core';
import { createTransport } from 'nodemailer';
import type { AlertChannel, AlertNotification } from '../types.js';
import { checkKeys, fail, positive } from '../validate.js';

/** SMTP server settings of {@link emailChannel}. */
export interface SmtpOptions {
  /** SMTP server host name. */
  readonly host: string;
  /** Default 587 (or 465 with `secure`). */
  readonly port?: number | undefined;
  /** TLS from the start (port 465). Default false (STARTTLS when the server offers it). */
  readonly secure?: boolean | undefined;
  /** Credentials (never logged). */
  readonly auth?: { readonly user: string; readonly pass: string } | undefined;
  /** Refuse to send without TLS. Default false. */
  readonly requireTLS?: boolean | undefined;
}

/** Options of {@link emailChannel}. */
export interface EmailChannelOptions {
  /** The SMTP server. */
  readonly smtp: SmtpOptions;
  /** Sender address. */
  readonly from: string;
  /** Recipient address(es). */
  readonly to: string | readonly string[];
  /** Prepended to subjects. Default `'[flowlane]'`. */
  readonly subjectPrefix?: string | undefined;
}

/** Subject and plain-text body of an alert email. */
export function emailContent(n: AlertNotification, prefix: string): { subject: string; text: string } {
  const subject = `${prefix} ${n.status === 'resolved' ? 'RESOLVED' : n.severity.toUpperCase()}: ${n.message}`.slice(
    0,
    250,
  );
  const lines = [
    n.status === 'resolved' ? `Resolved: ${n.message}` : n.message,
    '',
    `Rule:      ${n.rule}`,
    `Alert:     ${n.id}`,
    `Severity:  ${n.severity}`,
    `Since:     ${new Date(n.since).toISOString()}`,
    ...(n.workflow === undefined ? [] : [`Workflow:  ${n.workflow}`]),
    ...(n.executionId === undefined ? [] : [`Run:       ${n.executionId}`]),
    ...(n.nodeId === undefined ? [] : [`Node:      ${n.nodeId}`]),
    ...(n.escalationStep > 0 ? [`Escalation step ${n.escalationStep}`] : []),
    ...Object.entries(n.details ?? {}).map(([k, v]) => `${k}: ${String(v)}`),
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

/**
 * Email over SMTP through `nodemailer` (one pooled transport, closed with the engine).
 *
 * @example
 * ```ts
 * import { emailChannel } from '@flowlane/alerting';
 * const mail = emailChannel({ smtp: { host: 'smtp.example.com', auth: { user: 'ops', pass: 'secret' } }, from: 'flowlane@example.com', to: 'oncall@example.com' });
 * console.log(mail.target); // smtp://smtp.example.com:587
 * ```
 */
export function emailChannel(options: EmailChannelOptions): AlertChannel {
  const where = 'emailChannel()';
  checkKeys(where, options, allKeys<EmailChannelOptions>()(['smtp', 'from', 'to', 'subjectPrefix']));
  checkKeys(`${where} smtp`, options.smtp, allKeys<SmtpOptions>()(['host', 'port', 'secure', 'auth', 'requireTLS']));
  const smtp = options.smtp;
  if (typeof smtp.host !== 'string' || smtp.host === '') fail(where, 'smtp.host', 'expected a host name');
  const port =
    smtp.port === undefined
      ? smtp.secure
        ? 465
        : 587
      : positive(where, 'smtp.port', smtp.port, { integer: true, max: 65_535 });
  if (smtp.auth !== undefined && (typeof smtp.auth.user !== 'string' || typeof smtp.auth.pass !== 'string'))
    fail(where, 'smtp.auth', 'expected { user, pass } strings');
  if (typeof options.from !== 'string' || !options.from.includes('@')) fail(where, 'from', 'expected an email address');
  const to = typeof options.to === 'string' ? [options.to] : options.to;
  if (!Array.isArray(to) || to.length === 0 || to.some((a) => typeof a !== 'string' || !a.includes('@')))
    fail(where, 'to', 'expected an email address or a non-empty list of them');
  const prefix = options.subjectPrefix ?? '[flowlane]';
  /** Every SMTP connection still open: an aborted send or the channel's close destroys its own / all of them. */
  const sockets = new Set<Socket>();
  return {
    kind: 'email',
    target: `smtp://${smtp.host}:${port}`,
    async send(n, signal) {
      // One transport and one connection per send, made here so that a timeout or a close can cut it: nodemailer has
      // no per-send abort, and a server that accepts and never greets would hold the socket for its own timeouts.
      let socket: Socket | undefined;
      const transport = createTransport({
        host: smtp.host,
        port,
        secure: smtp.secure ?? false,
        requireTLS: smtp.requireTLS ?? false,
        ...(smtp.auth === undefined ? {} : { auth: { user: smtp.auth.user, pass: smtp.auth.pass } }),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 10_000,
        getSocket(_opts, callback) {
          if (signal.aborted) return callback(new Error('timed out or aborted'), undefined as never);
          const s = connect({ host: smtp.host, port });
          socket = s;
          sockets.add(s);
          let answered = false;
          const answer = (e: Error | null) => {
            if (answered) return;
            answered = true;
            s.off('error', answer);
            // Connected: nodemailer wraps it (TLS for `secure`) and listens for its errors from here on.
            if (e === null) callback(null, { connection: s });
            else callback(e, undefined as never);
          };
          s.once('error', answer);
          s.once('connect', () => answer(null));
          s.once('close', () => {
            sockets.delete(s);
            answer(new Error('connection closed'));
          });
        },
      });
      const { subject, text } = emailContent(n, prefix);
      const sending = transport.sendMail({ from: options.from, to: [...to], subject, text });
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          socket?.destroy();
          reject(new Error('timed out or aborted'));
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([sending, aborted]);
      } catch (e) {
        // nodemailer errors can quote the server's reply; keep the code and the first line only (no credentials).
        const code = (e as { code?: unknown }).code;
        throw new Error(
          `${typeof code === 'string' ? `${code}: ` : ''}${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`,
        );
      } finally {
        if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
        transport.close();
      }
    },
    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

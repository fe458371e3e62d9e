/* Internal: streaming SFTP file transfers with a bounded window of requests in flight, hashing on the way. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { SFTPWrapper } from 'ssh2';

/** Size of one read/write request. */
const CHUNK = 64 * 1024;
/** Requests in flight per file: memory stays at WINDOW × CHUNK (2 MiB) whatever the file size. */
const WINDOW = 32;

/** What a transfer moved. */
export interface Transferred {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * One SFTP request as a promise. Once `session` is aborted no request is sent: ssh2 queues requests on a closing
 * session without ever answering them.
 */
export const sftpCall = <T>(
  session: AbortSignal,
  fn: (cb: (err: Error | null | undefined, value: T) => void) => void,
): Promise<T> =>
  new Promise((resolve, reject) => {
    if (session.aborted) reject(new Error('the SFTP session was closed'));
    else fn((err, value) => (err ? reject(err) : resolve(value)));
  });

/** Streams local file `from` to remote `to` (created or truncated, with `mode`). */
export async function uploadFile(
  sftp: SFTPWrapper,
  session: AbortSignal,
  from: string,
  to: string,
  mode: number,
): Promise<Transferred> {
  const hash = createHash('sha256');
  const handle = await sftpCall<Buffer>(session, (cb) => sftp.open(to, 'w', { mode }, cb));
  let bytes = 0;
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();
  try {
    const source = createReadStream(from, { highWaterMark: CHUNK });
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure !== undefined || session.aborted) break;
      hash.update(chunk);
      const position = bytes;
      bytes += chunk.length;
      const write = sftpCall<void>(session, (cb) =>
        sftp.write(handle, chunk, 0, chunk.length, position, (e) => cb(e, undefined)),
      )
        .catch((e: unknown) => {
          failure ??= e;
        })
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    source.destroy();
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    if (session.aborted) throw new Error('the SFTP session was closed');
    // The mode given to open() only applies to a new file.
    await sftpCall<void>(session, (cb) => sftp.fchmod(handle, mode, (e) => cb(e, undefined)));
  } finally {
    await Promise.all(inFlight);
    await sftpCall<void>(session, (cb) => sftp.close(handle, (e) => cb(e, undefined))).catch(() => undefined);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Streams remote file `from` to local `to` (created or truncated, with `mode`). */
export async function downloadFile(
  sftp: SFTPWrapper,
  session: AbortSignal,
  from: string,
  to: string,
  mode: number,
): Promise<Transferred> {
  const hash = createHash('sha256');
  const handle = await sftpCall<Buffer>(session, (cb) => sftp.open(from, 'r', cb));
  const sink = createWriteStream(to, { mode });
  // No Promise.race against a long-lived "error" promise here: every race would stay referenced from it,
  // and with it every window of data (measured: the whole file retained).
  let sinkFailure: Error | undefined;
  sink.on('error', (e) => {
    sinkFailure = e;
  });
  const settled = (event: 'drain' | 'close'): Promise<void> =>
    new Promise((resolve, reject) => {
      if (sinkFailure) return reject(sinkFailure);
      const done = (error?: Error): void => {
        sink.off(event, ok).off('error', done);
        if (error) reject(error);
        else resolve();
      };
      const ok = (): void => done();
      sink.once(event, ok).once('error', done);
    });
  let position = 0;
  try {
    const { size } = await sftpCall<{ size: number }>(session, (cb) => sftp.fstat(handle, cb));
    for (;;) {
      // Read a window of chunks at once, then write them in order; a short read ends the window there.
      const window = Math.min(WINDOW, Math.max(1, Math.ceil((size - position) / CHUNK) + 1));
      const chunks = await Promise.all(
        Array.from({ length: window }, (_, i) => {
          const buffer = Buffer.allocUnsafe(CHUNK);
          const offset = position + i * CHUNK;
          return sftpCall<number>(session, (cb) =>
            sftp.read(handle, buffer, 0, CHUNK, offset, (e, n) => cb(e, n)),
          ).then((n) => buffer.subarray(0, n));
        }),
      );
      let eof = false;
      for (const chunk of chunks) {
        if (sinkFailure) throw sinkFailure;
        if (chunk.length > 0) {
          hash.update(chunk);
          position += chunk.length;
          if (!sink.write(chunk)) await settled('drain');
        }
        if (chunk.length < CHUNK) {
          eof = chunk.length === 0;
          break;
        }
      }
      if (eof) break;
    }
    const closed = settled('close');
    sink.end();
    await closed;
  } catch (error) {
    sink.destroy();
    throw error;
  } finally {
    await sftpCall<void>(session, (cb) => sftp.close(handle, (e) => cb(e, undefined))).catch(() => undefined);
  }
  return { bytes: position, sha256: hash.digest('hex') };
}

import { createSocket } from 'node:dgram';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';

/** Options of {@link StatsdListener.waitForLines}. */
export interface WaitForLinesOptions {
  /** Give up after this long. Default: 5 000 ms. */
  readonly timeoutMs?: number | undefined;
}

/** A UDP listener collecting StatsD / DogStatsD lines. */
export interface StatsdListener extends ServiceHandle {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** Every line received so far, in arrival order (datagrams split on `\n`, empty lines dropped). Live array. */
  readonly lines: string[];
  /**
   * Resolves with a copy of all lines once at least `count` lines arrived, or once `predicate(lines)` holds.
   * Rejects after `timeoutMs` (listing what arrived) or when the listener is disposed.
   */
  waitForLines(
    until: number | ((lines: readonly string[]) => boolean),
    options?: WaitForLinesOptions | undefined,
  ): Promise<string[]>;
  /** Forgets the lines received so far. */
  clear(): void;
}

interface Waiter {
  readonly matches: () => boolean;
  readonly resolve: (lines: string[]) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Listens for StatsD datagrams on 127.0.0.1 and a random free UDP port. Waiters are resolved from the socket's
 * `message` event — nothing polls.
 *
 * @example
 * ```ts
 * import { createSocket } from 'node:dgram';
 * import { startStatsdListener } from '@flowlane/testing';
 *
 * await using statsd = await startStatsdListener();
 * const client = createSocket('udp4');
 * client.send('jobs:1|c', statsd.port, statsd.host, () => client.close());
 * await statsd.waitForLines((lines) => lines.includes('jobs:1|c'));
 * ```
 */
export async function startStatsdListener(): Promise<StatsdListener> {
  const host = '127.0.0.1';
  const socket = createSocket('udp4');
  const lines: string[] = [];
  const waiters = new Set<Waiter>();
  let closed = false;

  const settle = () => {
    for (const waiter of waiters) {
      if (!waiter.matches()) continue;
      waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve([...lines]);
    }
  };

  socket.on('message', (message) => {
    for (const line of message.toString('utf8').split('\n')) {
      if (line.trim() !== '') lines.push(line);
    }
    settle();
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const { port } = socket.address();

  const waitForLines: StatsdListener['waitForLines'] = (until, options = {}) => {
    if (closed) return Promise.reject(new Error('StatsD listener is disposed'));
    const matches = typeof until === 'number' ? () => lines.length >= until : () => until(lines);
    if (matches()) return Promise.resolve([...lines]);
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<string[]>((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(`StatsD: expected lines did not arrive within ${timeoutMs} ms; got ${JSON.stringify(lines)}`),
          );
        }, timeoutMs),
      };
      waiters.add(waiter);
    });
  };

  const dispose = async () => {
    closed = true;
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('StatsD listener disposed while waiting for lines'));
    }
    waiters.clear();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  };

  return createServiceHandle(
    {
      host,
      port,
      lines,
      waitForLines,
      clear: () => {
        lines.length = 0;
      },
    },
    dispose,
  );
}

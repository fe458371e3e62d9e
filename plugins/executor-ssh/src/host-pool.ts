/* Internal: the connection pool of one host — reuse, channel bounds, idle close, reconnect, the kill queue. */
import { channel as diagnosticsChannel } from 'node:diagnostics_channel';
import type { ClientChannel } from 'ssh2';
import { isSshExecutorError, SshExecutorError } from './errors.js';
import { buildKillScript } from './remote-command.js';
import { type ConnectionTarget, SshConnection } from './ssh-connection.js';

/** Counters of one host's pool (see `SshExecutor.stats()`). */
export interface SshHostStats {
  /** Connections open or being opened now. */
  readonly connections: number;
  /** Channels open now. */
  readonly channels: number;
  /** Requests waiting for a free channel. */
  readonly waiting: number;
  /** Connections opened since the executor was created. */
  readonly opened: number;
  /** Most channels that were open at once. */
  readonly peakChannels: number;
}

/** A channel slot on a connection; call `release` exactly once. */
export interface ChannelLease {
  readonly connection: SshConnection;
  release(): void;
}

interface Waiter {
  resolve(lease: ChannelLease): void;
  reject(error: unknown): void;
}

/** Retries (5, 10, 20, 40, 80, 160 ms) of a channel the server refused while we held no other on that connection. */
const LONELY_REFUSAL_RETRIES = 6;

const opened$ = diagnosticsChannel('flowlane.ssh.connection.opened');
const closed$ = diagnosticsChannel('flowlane.ssh.connection.closed');

/**
 * Connections to one host. A request takes a channel slot on an open connection with room (filling one before
 * using the next), else opens a new connection while fewer than `maxConnections` exist, else waits in FIFO order.
 * A connection with no channel closes after `idleTimeoutMs`; a dropped one leaves the pool, and the next request
 * opens a fresh one.
 */
export class HostPool {
  readonly #target: ConnectionTarget;
  readonly #ready = new Set<SshConnection>();
  readonly #waiters: Waiter[] = [];
  #connecting = 0;
  #opened = 0;
  #peak = 0;
  #disposed = false;
  /** Aborted by dispose(): cancels connection attempts in flight. */
  readonly #closing = new AbortController();
  /** Connection attempts in flight (each settles, never rejects). */
  readonly #opening = new Set<Promise<void>>();
  readonly #killQueue = new Map<number, (() => void)[]>();
  #killing: Promise<void> | undefined;

  constructor(target: ConnectionTarget) {
    this.#target = target;
  }

  get name(): string {
    return this.#target.hostName;
  }

  stats(): SshHostStats {
    let channels = 0;
    for (const c of this.#ready) channels += c.channels;
    return {
      connections: this.#ready.size + this.#connecting,
      channels,
      waiting: this.#waiters.length,
      opened: this.#opened,
      peakChannels: this.#peak,
    };
  }

  /** Waits for a channel slot; aborting `signal` drops the request. */
  acquire(signal?: AbortSignal): Promise<ChannelLease> {
    if (this.#disposed) return Promise.reject(this.#disposedError());
    const lease = this.#tryLease();
    if (lease !== undefined) return Promise.resolve(lease);
    return new Promise<ChannelLease>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (l) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(l);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#grow();
    });
  }

  /**
   * Opens a channel with `open` on a pooled connection and keeps its slot until `release` is called. A server that
   * refuses the channel while others are open on that connection is at its session limit (OpenSSH `MaxSessions`,
   * which also counts sessions it has not finished tearing down): that connection's limit drops to the channels
   * it holds and the request waits for the next free slot. The limit grows back by one with each channel opened.
   */
  async openChannel<T>(
    open: (connection: SshConnection) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<{ channel: T; connection: SshConnection; release: () => void }> {
    let lonelyRefusals = 0;
    for (;;) {
      const lease = await this.acquire(signal);
      const connection = lease.connection;
      try {
        const channel = await open(connection);
        if (connection.limit < this.#target.settings.maxChannelsPerConnection) connection.limit++;
        return { channel, connection, release: lease.release };
      } catch (error) {
        const others = connection.channels - 1;
        lease.release();
        if (!isSshExecutorError(error, 'FL_SSH_CHANNEL_FAILED')) throw error;
        if (others >= 1) {
          connection.limit = Math.min(connection.limit, others);
          continue;
        }
        // Refused with nothing else open on our side: the server is still tearing down sessions whose channels
        // we already saw close (OpenSSH frees a session only after reaping its child). Give it a moment, a few
        // times, before reporting the refusal.
        if (lonelyRefusals >= LONELY_REFUSAL_RETRIES) throw error;
        await this.#pause(5 * 2 ** lonelyRefusals++, signal);
      }
    }
  }

  /** Waits `ms`; rejects early when `signal` aborts or the pool is disposed. */
  #pause(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#closing.signal.removeEventListener('abort', onDispose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = (): void => done(signal?.reason);
      const onDispose = (): void => done(this.#disposedError());
      const timer = setTimeout(done, ms);
      if (signal?.aborted) return onAbort();
      if (this.#closing.signal.aborted) return onDispose();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#closing.signal.addEventListener('abort', onDispose, { once: true });
    });
  }

  /** Opens an exec channel running `script`; its slot is released when the channel closes. */
  async openExec(script: string, signal?: AbortSignal): Promise<{ channel: ClientChannel; connection: SshConnection }> {
    const { channel, connection, release } = await this.openChannel((c) => c.exec(script), signal);
    channel.once('close', release);
    return { channel, connection };
  }

  /**
   * Stops the process groups led by `pid` (SIGTERM, then SIGKILL after `graceMs`). Requests are batched: one kill
   * script runs per host at a time, over a channel that does not count against the bound (so stopping commands
   * never waits behind the commands being stopped). Resolves when the group is gone or the attempt failed.
   */
  kill(pid: number, graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.#killQueue.get(pid);
      if (waiting) waiting.push(resolve);
      else this.#killQueue.set(pid, [resolve]);
      if (this.#killing === undefined) this.#killing = this.#drainKills(graceMs);
    });
  }

  async #drainKills(graceMs: number): Promise<void> {
    while (this.#killQueue.size > 0) {
      const batch = new Map(this.#killQueue);
      this.#killQueue.clear();
      // A refused channel (server at its session limit) is retried briefly; a lost host is given up on.
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await this.#runKillScript(buildKillScript([...batch.keys()], graceMs));
          break;
        } catch (error) {
          if (!isSshExecutorError(error, 'FL_SSH_CHANNEL_FAILED')) break;
          await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        }
      }
      for (const done of batch.values()) for (const fn of done) fn();
    }
    this.#killing = undefined;
  }

  async #runKillScript(script: string): Promise<void> {
    const connection = await this.#anyConnection();
    connection.channels++;
    this.#clearIdle(connection);
    try {
      const channel = await connection.exec(script);
      await new Promise<void>((resolve) => {
        channel.on('data', () => undefined);
        channel.stderr.on('data', () => undefined);
        channel.once('close', () => resolve());
        channel.end();
      });
    } finally {
      this.#release(connection);
    }
  }

  /** A ready connection for control work, ignoring the channel bound; opens one when none is ready. */
  async #anyConnection(): Promise<SshConnection> {
    for (const c of this.#ready) if (!c.closed) return c;
    if (this.#disposed) throw this.#disposedError();
    const lease = await this.acquire();
    lease.release();
    return lease.connection;
  }

  /** Closes every connection and rejects waiting requests; running channels close with their connection. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const w of this.#waiters.splice(0)) w.reject(this.#disposedError());
    this.#closing.abort();
    await Promise.all(this.#opening);
    await this.#killing;
    await Promise.all([...this.#ready].map((c) => c.close()));
  }

  #tryLease(): ChannelLease | undefined {
    for (const connection of this.#ready) {
      if (connection.closed || connection.channels >= connection.limit) continue;
      connection.channels++;
      this.#clearIdle(connection);
      const channels = this.stats().channels;
      if (channels > this.#peak) this.#peak = channels;
      let released = false;
      return {
        connection,
        release: () => {
          if (released) return;
          released = true;
          this.#release(connection);
        },
      };
    }
    return undefined;
  }

  #release(connection: SshConnection): void {
    connection.channels--;
    if (connection.closed) return;
    this.#serve();
    if (connection.channels === 0 && connection.idleTimer === undefined && this.#ready.has(connection)) {
      connection.idleTimer = setTimeout(() => {
        connection.idleTimer = undefined;
        if (connection.channels === 0) {
          this.#ready.delete(connection);
          void connection.close();
        }
      }, this.#target.settings.idleTimeoutMs);
      connection.idleTimer.unref();
    }
  }

  #clearIdle(connection: SshConnection): void {
    if (connection.idleTimer !== undefined) clearTimeout(connection.idleTimer);
    connection.idleTimer = undefined;
  }

  /** Hands free slots to waiters in order. */
  #serve(): void {
    while (this.#waiters.length > 0) {
      const lease = this.#tryLease();
      if (lease === undefined) break;
      this.#waiters.shift()!.resolve(lease);
    }
    this.#grow();
  }

  /** Opens connections while waiters outnumber the capacity being opened, up to `maxConnections`. */
  #grow(): void {
    const { maxConnections, maxChannelsPerConnection } = this.#target.settings;
    while (
      !this.#disposed &&
      this.#waiters.length > this.#connecting * maxChannelsPerConnection &&
      this.#ready.size + this.#connecting < maxConnections
    ) {
      this.#connecting++;
      const attempt: Promise<void> = SshConnection.open(this.#target, this.#closing.signal).then(
        (connection) => {
          this.#connecting--;
          this.#opened++;
          if (this.#disposed) return connection.close();
          this.#ready.add(connection);
          opened$.publish({ host: this.name, connection: connection.id });
          connection.onClose((lost) => {
            this.#ready.delete(connection);
            const reason = lost ? 'lost' : this.#disposed ? 'disposed' : 'idle';
            closed$.publish({ host: this.name, connection: connection.id, reason });
            this.#serve();
          });
          this.#serve();
          // Opened for waiters that went away meanwhile: start its idle clock.
          if (connection.channels === 0) {
            connection.channels++;
            this.#release(connection);
          }
        },
        (error: unknown) => {
          this.#connecting--;
          // Nobody else can serve the waiters: they fail with the connect error (no hidden retry loop).
          // Otherwise they wait for a slot on the open connections (a release retries growing, never a tight loop).
          if (this.#ready.size === 0 && this.#connecting === 0)
            for (const w of this.#waiters.splice(0)) w.reject(error);
        },
      );
      this.#opening.add(attempt);
      void attempt.then(() => this.#opening.delete(attempt));
    }
  }

  #disposedError(): SshExecutorError {
    return new SshExecutorError('FL_SSH_EXECUTOR_DISPOSED', { host: this.name });
  }
}

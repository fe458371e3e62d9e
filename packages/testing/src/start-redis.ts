import { requireBinary } from './find-binary.js';
import { redisPing } from './probes.js';
import { ServiceProcess, withFreePort } from './process.js';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import { waitUntilReady } from './wait-until-ready.js';

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. Default: none. */
  readonly extraArgs?: readonly string[] | undefined;
  /** How long to wait for `PING` to answer. Default: 10 000 ms. */
  readonly startupTimeoutMs?: number | undefined;
}

/** A running private Redis server. */
export interface RedisService extends ServiceHandle {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Private working directory (removed on dispose). */
  readonly dir: string;
  /**
   * Stop the server (SIGTERM, then SIGKILL after 5 s) and keep its directory, port and data files: clients see the
   * connection drop. Pair with `start()` to test a Redis restart; pass `--appendonly yes` in `extraArgs` to keep data.
   */
  stop(): Promise<void>;
  /** Start the server again on the same port and directory (after `stop()`), and wait for `PING`. */
  start(): Promise<void>;
}

/**
 * Starts a private `redis-server` on 127.0.0.1 and a random free port, without persistence, and waits until it
 * answers `PING`. Throws {@link ServiceUnavailableError} when redis-server is not installed.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { startRedis } from '@flowlane/testing';
 *
 * await using redis = await startRedis();
 * const client = new Redis(redis.url);
 * await client.set('k', 'v');
 * client.disconnect();
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisService> {
  const binary = await requireBinary('redis', 'redis-server', 'redis-server');
  const host = '127.0.0.1';
  return withFreePort(async (port) => {
    const dir = await createTempDir('redis');
    let proc: ServiceProcess | undefined;
    const cleanup = async () => {
      await proc?.stop();
      await removeTempDir(dir);
    };
    const spawn = async (): Promise<void> => {
      proc = await ServiceProcess.spawn(
        'redis',
        binary,
        [
          '--port',
          String(port),
          '--bind',
          host,
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          ...(options.extraArgs ?? []),
        ],
        { cwd: dir },
      );
      const started = proc;
      await waitUntilReady({
        service: 'redis',
        process: started,
        probe: () => redisPing(host, port),
        timeoutMs: options.startupTimeoutMs ?? 10_000,
      });
    };
    try {
      await spawn();
    } catch (err) {
      await cleanup();
      throw err;
    }
    const stop = async (): Promise<void> => {
      const p = proc;
      proc = undefined;
      await p?.stop();
    };
    const start = async (): Promise<void> => {
      if (proc !== undefined) return;
      await spawn();
    };
    return createServiceHandle({ host, port, url: `redis://${host}:${port}`, dir, stop, start }, cleanup);
  });
}

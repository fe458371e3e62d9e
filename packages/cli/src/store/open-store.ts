import type { Engine, EngineOptions, FlowlanePlugin } from '@flowlane/core';
import { CliError, ExitCode } from '../cli-error.js';
import type { CliIo } from '../commands/io.js';
import { importOptional } from '../optional-package.js';
import { redactUrls } from '../redact.js';

/** The part of `@flowlane/store-redis` the CLI uses. */
export interface StoreRedisModule {
  redisStore(options: {
    url: string;
    prefix?: string | undefined;
    stores?: readonly ('executions' | 'cache' | 'state')[];
    control?: boolean;
  }): Readonly<FlowlanePlugin>;
  cancelRun(
    executionId: string,
    options: { url: string; prefix?: string | undefined; reason?: string | undefined; waitMs?: number | undefined },
  ): Promise<{ outcome: string; status: string }>;
}

/** `--store` and `--prefix` as the runs commands take them. */
export interface StoreOptions {
  readonly store?: string | undefined;
  readonly prefix?: string | undefined;
}

/** The store URL from `--store` or `FLOWLANE_STORE`, checked (redis:// or rediss://). */
export function storeUrl(opts: StoreOptions, io: CliIo): string {
  const url = opts.store ?? io.env.FLOWLANE_STORE;
  if (url === undefined || url === '')
    throw new CliError(
      'No execution store given.',
      'Pass --store redis://host:6379 (or set FLOWLANE_STORE) — the Redis that the engines running your workflows use.',
      ExitCode.usage,
    );
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CliError(`--store is not a URL: ${redactUrls(url)}`, 'Use redis://[user:password@]host:port[/db].', 2);
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:')
    throw new CliError(
      `--store ${redactUrls(url)}: unsupported store ${protocol}//`,
      'Only Redis stores are supported: redis://… or rediss://… (@flowlane/store-redis).',
      ExitCode.usage,
    );
  return url;
}

/** `@flowlane/store-redis`, from the project or next to the CLI. */
export const loadStoreRedis = (io: CliIo): Promise<StoreRedisModule> =>
  importOptional<StoreRedisModule>('@flowlane/store-redis', io.cwd, 'A Redis execution store (--store)');

/** `@flowlane/core`, from the project or the CLI's own. */
export const loadCore = (io: CliIo): Promise<{ createEngine(o?: EngineOptions): Engine }> =>
  importOptional('@flowlane/core', io.cwd, 'The runs commands');

/**
 * A read-only engine on the store (executes nothing, does not listen for cancel requests): `engine.runs` reads every
 * run any engine sharing the store recorded. Close it when done. Unreachable Redis: the setup error, URL redacted.
 */
export async function openReadOnlyStore(opts: StoreOptions, io: CliIo): Promise<Engine> {
  const url = storeUrl(opts, io);
  const [core, redis] = await Promise.all([loadCore(io), loadStoreRedis(io)]);
  const engine = core.createEngine({
    plugins: [redis.redisStore({ url, prefix: opts.prefix, stores: ['executions'], control: false })],
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  try {
    await engine.ready();
  } catch (e) {
    await engine.close().catch(() => undefined);
    throw e;
  }
  return engine;
}

import type { FlowlanePlugin } from '@flowlane/core';
import { CliError, ExitCode } from '../cli-error.js';
import { importOptional } from '../optional-package.js';
import { loadCore, loadStoreRedis, type StoreOptions, storeUrl } from '../store/open-store.js';
import { type CliIo, println } from './io.js';

/** The part of `@flowlane/monitor` the CLI uses. */
interface MonitorModule {
  monitor(options: {
    port: number;
    host?: string | undefined;
    token: string;
    followStore: { intervalMs: number };
  }): FlowlanePlugin & { readonly url: string; dashboardUrl(id?: string): string };
}

/** Options of `flowlane monitor`. */
export interface MonitorCommandOptions extends StoreOptions {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly interval?: string | undefined;
}

/**
 * `flowlane monitor --store redis://… --port 4300`: a standalone, read-only monitor of every engine sharing the store
 * (the dashboard and the WebSocket stream of `@flowlane/monitor`), until Ctrl-C. The token comes from
 * `FLOWLANE_MONITOR_TOKEN` (not an option: command lines are visible to every user of the machine).
 */
export async function monitorCommand(opts: MonitorCommandOptions, io: CliIo, signal?: AbortSignal): Promise<number> {
  const url = storeUrl(opts, io);
  const token = io.env.FLOWLANE_MONITOR_TOKEN;
  if (token === undefined || token.length < 8)
    throw new CliError(
      'flowlane monitor needs a token of at least 8 characters in FLOWLANE_MONITOR_TOKEN.',
      'export FLOWLANE_MONITOR_TOKEN=$(openssl rand -hex 24) — browsers log in with it (dashboard URL + #token=…).',
      ExitCode.usage,
    );
  const port = opts.port === undefined ? 4300 : Number(opts.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new CliError(`--port ${opts.port} is not a port.`, 'Pass 0–65535 (0 picks a free one).', ExitCode.usage);
  const intervalMs = opts.interval === undefined ? 500 : Number(opts.interval);
  if (!(Number.isInteger(intervalMs) && intervalMs >= 20))
    throw new CliError(`--interval ${opts.interval} is not a poll interval.`, 'Pass milliseconds ≥ 20.', 2);
  const [core, redis, mod] = await Promise.all([
    loadCore(io),
    loadStoreRedis(io),
    importOptional<MonitorModule>('@flowlane/monitor', io.cwd, 'flowlane monitor'),
  ]);
  const mon = mod.monitor({ port, host: opts.host, token, followStore: { intervalMs } });
  const engine = core.createEngine({
    plugins: [redis.redisStore({ url, prefix: opts.prefix, stores: ['executions'], control: false }), mon],
    logger: {
      debug() {},
      info() {},
      warn: (m, f) => println(io.stderr, `warn: ${m}${f === undefined ? '' : ` ${JSON.stringify(f)}`}`),
      error: (m, f) => println(io.stderr, `error: ${m}${f === undefined ? '' : ` ${JSON.stringify(f)}`}`),
    },
  });
  try {
    await engine.ready();
  } catch (e) {
    await engine.close().catch(() => undefined);
    throw e;
  }
  println(io.stdout, `monitor listening on ${mon.url} (dashboard: ${mon.dashboardUrl()}#token=…)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await engine.close();
  println(io.stdout, 'monitor stopped');
  return ExitCode.ok;
}

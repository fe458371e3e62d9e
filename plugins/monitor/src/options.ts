import type { IncomingMessage, Server } from 'node:http';
import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import type { Observable } from 'rxjs';
import { MonitorError } from './errors.js';
import type { MonitorAlert } from './protocol.js';
import type { HistorySource } from './run-history.js';

/**
 * Options of {@link monitor}. Give `port` (a server of its own) or `server` (yours), and `token` or `authenticate`.
 *
 * @example
 * ```ts
 * import { monitor, type MonitorOptions } from '@flowlane/monitor';
 * const options: MonitorOptions = { port: 0, token: 's3cret-token-value' };
 * monitor(options);
 * ```
 */
export interface MonitorOptions {
  /** Port of the monitor's own HTTP server; `0` picks a free one (read `monitor.url`). */
  readonly port?: number | undefined;
  /** Interface to listen on with `port`. Default `'127.0.0.1'`. */
  readonly host?: string | undefined;
  /**
   * Your `http.Server`: the monitor answers WebSocket upgrades on `/ws` and leaves every other request to you (mount
   * the dashboard with `monitor.handleRequest(req, res)`). The monitor never closes your server.
   */
  readonly server?: Server | undefined;
  /** Shared secret: `Authorization: Bearer <token>` or `?token=<token>`; compared in constant time. */
  readonly token?: string | undefined;
  /** Your check of the upgrade request (cookies, mTLS, …); `true` lets the client in. */
  readonly authenticate?: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  /** Browser origins allowed besides the monitor's own. Default `[]`. `'*'` allows any (not recommended). */
  readonly allowedOrigins?: readonly string[] | undefined;
  /** Runs kept in memory for late subscribers and the run list (oldest settled runs go first). Default 200. */
  readonly maxRuns?: number | undefined;
  /** Events kept per run; later ones are streamed but not kept (`truncated: true` in `history`). Default 20 000. */
  readonly maxEventsPerRun?: number | undefined;
  /** Events kept in all; beyond, the oldest settled runs are evicted. Default 200 000. */
  readonly maxEvents?: number | undefined;
  /** A client whose unsent data passes this many bytes is disconnected (close code 4008). Default 8 MiB. */
  readonly maxBufferedBytes?: number | undefined;
  /** Ping every client this often (ms); a client that missed the previous pong is cut. `0` disables. Default 30 000. */
  readonly heartbeatInterval?: number | undefined;
  /** History of runs this monitor did not record (a durable execution log). Default: none. */
  readonly history?: HistorySource | undefined;
  /** Active alerts to show on the dashboard, e.g. `alerting(...)` from `@flowlane/alerting`. */
  readonly alerts?: { readonly alerts$: Observable<readonly MonitorAlert[]> } | undefined;
  /**
   * Also show runs that other processes record in the engine's execution store (e.g. `redisStore()`): the store is
   * polled every `intervalMs` (default 500) and late subscribers get those runs' history from the log (unless
   * `history` is given). With a read-only engine this makes a standalone monitor of every engine sharing the store.
   * Default `false`.
   */
  readonly followStore?: boolean | { readonly intervalMs?: number | undefined } | undefined;
}

export interface ResolvedOptions {
  readonly port: number | undefined;
  readonly host: string;
  readonly server: Server | undefined;
  readonly token: string | undefined;
  readonly authenticate: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  readonly allowedOrigins: readonly string[];
  readonly maxRuns: number;
  readonly maxEventsPerRun: number;
  readonly maxEvents: number;
  readonly maxBufferedBytes: number;
  readonly heartbeatInterval: number;
  readonly history: HistorySource | undefined;
  readonly alerts: MonitorOptions['alerts'];
  /** Poll interval of `followStore`, or undefined when off. */
  readonly followStoreMs: number | undefined;
}

/** Every option of `monitor()` (internal: also the package test's list). */
export const KNOWN = allKeys<MonitorOptions>()([
  'port',
  'host',
  'server',
  'token',
  'authenticate',
  'allowedOrigins',
  'maxRuns',
  'maxEventsPerRun',
  'maxEvents',
  'maxBufferedBytes',
  'heartbeatInterval',
  'history',
  'alerts',
  'followStore',
]);

const fail = (option: string, reason: string): never => {
  throw new MonitorError('FL_MONITOR_INVALID_OPTION', { option, reason });
};

const int = (name: string, v: unknown, min: number, fallback: number): number => {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    fail(name, `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v as number;
};

/** Checks every option and fills in defaults; throws `FL_MONITOR_INVALID_OPTION` / `FL_MONITOR_NO_AUTH`. */
export function resolveOptions(options: MonitorOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options', 'expected an object');
  const [extra] = unknownKeys(options, KNOWN);
  if (extra !== undefined) fail(extra.key, `unknown option; ${unknownKeyHint(extra, KNOWN)}`);
  const { server, token, authenticate } = options;
  if (server !== undefined && options.port !== undefined)
    fail('server', 'give either `port` (the monitor listens itself) or `server` (yours), not both');
  if (server !== undefined && options.host !== undefined) fail('host', '`host` only applies with `port`');
  if (server === undefined && options.port === undefined) fail('port', 'give `port` (0 picks a free one) or `server`');
  if (server !== undefined && (typeof server !== 'object' || typeof server.on !== 'function'))
    fail('server', 'expected a node http.Server');
  const port = options.port === undefined ? undefined : int('port', options.port, 0, 0);
  if (port !== undefined && port > 65535) fail('port', `expected 0–65535, got ${port}`);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === ''))
    fail('host', 'expected a non-empty string');
  if (token !== undefined && (typeof token !== 'string' || token.length < 8))
    fail('token', 'expected a string of at least 8 characters');
  if (authenticate !== undefined && typeof authenticate !== 'function') fail('authenticate', 'expected a function');
  if (token === undefined && authenticate === undefined) throw new MonitorError('FL_MONITOR_NO_AUTH', {});
  const origins = options.allowedOrigins ?? [];
  if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string'))
    fail('allowedOrigins', 'expected an array of origins such as "https://ops.example.com"');
  if (options.history !== undefined && typeof options.history?.read !== 'function')
    fail('history', 'expected an object with read(executionId)');
  if (options.alerts !== undefined && typeof options.alerts?.alerts$?.subscribe !== 'function')
    fail('alerts', 'expected an object with an alerts$ observable (e.g. the alerting() plugin)');
  const follow = options.followStore ?? false;
  let followStoreMs: number | undefined;
  if (follow === true) followStoreMs = 500;
  else if (typeof follow === 'object' && follow !== null) {
    const FOLLOW = ['intervalMs'] as const;
    const [bad] = unknownKeys(follow, FOLLOW);
    if (bad !== undefined) fail(`followStore.${bad.key}`, `unknown option; ${unknownKeyHint(bad, FOLLOW)}`);
    followStoreMs = int('followStore.intervalMs', follow.intervalMs, 20, 500);
  } else if (follow !== false) fail('followStore', 'expected true, false or { intervalMs }');
  return {
    port,
    host: options.host ?? '127.0.0.1',
    server,
    token,
    authenticate,
    allowedOrigins: origins,
    maxRuns: int('maxRuns', options.maxRuns, 1, 200),
    maxEventsPerRun: int('maxEventsPerRun', options.maxEventsPerRun, 1, 20_000),
    maxEvents: int('maxEvents', options.maxEvents, 1, 200_000),
    maxBufferedBytes: int('maxBufferedBytes', options.maxBufferedBytes, 1024, 8 * 1024 * 1024),
    heartbeatInterval: int('heartbeatInterval', options.heartbeatInterval, 0, 30_000),
    history: options.history,
    alerts: options.alerts,
    followStoreMs,
  };
}

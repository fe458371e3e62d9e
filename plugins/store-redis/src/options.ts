import { allKeys, suggestKey, unknownKeyHint, unknownKeys } from '@flowlane/core';
import type { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';

/**
 * Turns values into the strings kept in Redis and back. The default is JSON that refuses what JSON would corrupt
 * (functions, `undefined`, `bigint`, symbols, non-finite numbers, class instances such as `Date` or `Map`).
 *
 * @example
 * ```ts
 * import type { RedisCodec } from '@flowlane/store-redis';
 * const codec: RedisCodec = { encode: (v) => JSON.stringify(v), decode: (s) => JSON.parse(s) as unknown };
 * ```
 */
export interface RedisCodec {
  /** Throw to refuse a value (the store reports `FL_REDIS_UNSERIALIZABLE`). */
  encode(value: unknown): string;
  decode(text: string): unknown;
}

/**
 * Options of {@link redisStore}. Give `url` or `client`.
 *
 * @example
 * ```ts
 * import type { RedisStoreOptions } from '@flowlane/store-redis';
 * const options: RedisStoreOptions = { url: 'redis://127.0.0.1:6379', prefix: 'billing:', retentionMs: 86_400_000 };
 * ```
 */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  readonly url?: string | undefined;
  /** An ioredis client you own (not closed by the plugin). Create it with `maxRetriesPerRequest: null`. */
  readonly client?: Redis | undefined;
  /** Prefix of every key. Default `'flowlane:'`. */
  readonly prefix?: string | undefined;
  /** Finished runs' logs are removed this many ms after they finished. Default 7 days. `0` keeps them forever. */
  readonly retentionMs?: number | undefined;
  /** Give up connecting at setup after this many ms (`FL_REDIS_UNREACHABLE`). Default 5 000. */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Which stores the plugin installs. Default `['executions', 'cache', 'state']`; add `'flowControl'` to share
   * workflows' `concurrency` and `rateLimit` between every engine on this Redis.
   */
  readonly stores?: readonly ('executions' | 'cache' | 'state' | 'flowControl')[] | undefined;
  /**
   * Flow-control backend settings (with `'flowControl'` in `stores`). Default
   * `{ leaseMs: 30_000, pollIntervalMs: 250, shareEvents: true }` (see `RedisFlowControlOptions`).
   */
  readonly flowControl?:
    | {
        readonly leaseMs?: number | undefined;
        readonly pollIntervalMs?: number | undefined;
        readonly shareEvents?: boolean | undefined;
      }
    | undefined;
  /** Codec of cached values and `ctx.storage` values. Default: strict JSON (see {@link RedisCodec}). */
  readonly codec?: RedisCodec | undefined;
  /**
   * Listen for cancel requests from other processes (`cancelRun`, `flowlane runs cancel`) on the store's control
   * channel — one extra connection. Default `true` when the execution store is installed; `false` for read-only
   * engines (dashboards, CLIs) that execute no runs.
   */
  readonly control?: boolean | undefined;
}

/** Options after validation. */
export interface ResolvedOptions {
  readonly url: string | undefined;
  readonly client: Redis | undefined;
  readonly prefix: string;
  readonly retentionMs: number;
  readonly connectTimeoutMs: number;
  readonly stores: ReadonlySet<'executions' | 'cache' | 'state' | 'flowControl'>;
  readonly flowControl: { readonly leaseMs: number; readonly pollIntervalMs: number; readonly shareEvents: boolean };
  readonly codec: RedisCodec;
  readonly control: boolean;
}

/** Every option of `redisStore()` (internal: also the README test's list). */
export const KNOWN = allKeys<RedisStoreOptions>()([
  'url',
  'client',
  'prefix',
  'retentionMs',
  'connectTimeoutMs',
  'stores',
  'codec',
  'flowControl',
  'control',
]);
const STORES = ['executions', 'cache', 'state', 'flowControl'] as const;
const DEFAULT_STORES = ['executions', 'cache', 'state'] as const;
const FLOW_KEYS = allKeys<NonNullable<RedisStoreOptions['flowControl']>>()([
  'leaseMs',
  'pollIntervalMs',
  'shareEvents',
]);

/** Node fires a longer timer after 1 ms (TimeoutOverflowWarning): options that become timers stay below. */
const MAX_TIMER_MS = 2_147_483_647;

const invalid = (option: string, reason: string) => new RedisStoreError('FL_REDIS_INVALID_OPTION', { option, reason });

/**
 * `redis://user:secret@host` → `redis://user:***@host`: URLs in errors and logs never carry a password.
 *
 * @example
 * ```ts
 * import { redactRedisUrl } from '@flowlane/store-redis';
 * console.log(redactRedisUrl('redis://app:hunter2@cache:6379/0')); // redis://app:***@cache:6379/0
 * ```
 */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    else if (u.username !== '' && u.protocol.startsWith('redis')) u.username = '***'; // redis://:token@ or token@
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** The strict JSON codec: refuses values JSON would silently change. */
export const strictJsonCodec: RedisCodec = {
  encode(value) {
    check(value, '$', new Set());
    return JSON.stringify(value);
  },
  decode: (text) => JSON.parse(text) as unknown,
};

function check(v: unknown, path: string, seen: Set<object>): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${path} is ${String(v)} (JSON turns it into null)`);
    return;
  }
  if (typeof v !== 'object') throw new TypeError(`${path} is a ${typeof v}`);
  if (seen.has(v)) throw new TypeError(`${path} is a circular reference`);
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) check(v[i], `${path}[${i}]`, seen);
  } else {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError(`${path} is a ${(v as object).constructor?.name ?? 'class instance'} (not a plain object)`);
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) throw new TypeError(`${path}.${k} is undefined (JSON drops it)`);
      check(x, `${path}.${k}`, seen);
    }
  }
  seen.delete(v);
}

/** Validates {@link RedisStoreOptions}; unknown keys are refused with a suggestion. */
export function resolveOptions(options: RedisStoreOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw invalid('options', 'expected an object');
  const [unknown] = unknownKeys(options, KNOWN);
  if (unknown !== undefined) throw invalid(unknown.key, `unknown option; ${unknownKeyHint(unknown, KNOWN)}`);
  const { url, client } = options;
  if ((url === undefined) === (client === undefined)) throw invalid('url', 'give exactly one of url and client');
  if (url !== undefined) {
    if (typeof url !== 'string') throw invalid('url', 'expected a string');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid('url', `not a URL: ${redactRedisUrl(url)}`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
      throw invalid('url', `expected redis:// or rediss://, got ${parsed.protocol}//`);
  }
  const prefix = options.prefix ?? 'flowlane:';
  if (typeof prefix !== 'string') throw invalid('prefix', 'expected a string');
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  // Larger than 2^53 − 1 reaches Redis as "1e+20", which PEXPIRE refuses: every run would fail as it finishes.
  if (!(Number.isSafeInteger(retentionMs) && retentionMs >= 0))
    throw invalid('retentionMs', `expected an integer ≥ 0 (at most 2^53 − 1), got ${String(retentionMs)}`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  if (!(Number.isInteger(connectTimeoutMs) && connectTimeoutMs > 0 && connectTimeoutMs <= MAX_TIMER_MS))
    throw invalid('connectTimeoutMs', `expected an integer > 0 and ≤ ${MAX_TIMER_MS}, got ${String(connectTimeoutMs)}`);
  const stores = options.stores ?? DEFAULT_STORES;
  if (!Array.isArray(stores) || stores.length === 0)
    throw invalid('stores', `expected a non-empty array of ${STORES.join(', ')}`);
  for (const s of stores)
    if (!(STORES as readonly string[]).includes(s)) {
      const hint = suggestKey(String(s), STORES);
      throw invalid('stores', `unknown store "${String(s)}"${hint === undefined ? '' : `; did you mean "${hint}"?`}`);
    }
  const codec = options.codec ?? strictJsonCodec;
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function')
    throw invalid('codec', 'expected { encode(value): string, decode(text): unknown }');
  const fc = options.flowControl ?? {};
  if (typeof fc !== 'object' || fc === null)
    throw invalid('flowControl', 'expected { leaseMs?, pollIntervalMs?, shareEvents? }');
  const [unknownFc] = unknownKeys(fc, FLOW_KEYS);
  if (unknownFc !== undefined)
    throw invalid(`flowControl.${unknownFc.key}`, `unknown option; ${unknownKeyHint(unknownFc, FLOW_KEYS)}`);
  const leaseMs = fc.leaseMs ?? 30_000;
  const pollIntervalMs = fc.pollIntervalMs ?? 250;
  if (!(Number.isInteger(leaseMs) && leaseMs >= 100 && leaseMs <= MAX_TIMER_MS))
    throw invalid('flowControl.leaseMs', `expected an integer ≥ 100 and ≤ ${MAX_TIMER_MS}, got ${String(leaseMs)}`);
  if (!(Number.isInteger(pollIntervalMs) && pollIntervalMs >= 1 && pollIntervalMs <= MAX_TIMER_MS))
    throw invalid(
      'flowControl.pollIntervalMs',
      `expected an integer ≥ 1 and ≤ ${MAX_TIMER_MS}, got ${String(pollIntervalMs)}`,
    );
  const shareEvents = fc.shareEvents ?? true;
  if (typeof shareEvents !== 'boolean')
    throw invalid('flowControl.shareEvents', `expected true or false, got ${String(shareEvents)}`);
  const control = options.control ?? true;
  if (typeof control !== 'boolean') throw invalid('control', `expected a boolean, got ${typeof control}`);
  return {
    url,
    client,
    prefix,
    retentionMs,
    connectTimeoutMs,
    stores: new Set(stores),
    codec,
    flowControl: { leaseMs, pollIntervalMs, shareEvents },
    control,
  };
}

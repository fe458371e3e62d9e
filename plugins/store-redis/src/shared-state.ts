import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';
import { type RedisCodec, strictJsonCodec } from './options.js';

/** One key of shared state as every environment sees it. */
export interface SharedEntry {
  readonly key: string;
  readonly value: unknown;
  /** Incremented by every accepted write of this key, in any environment. */
  readonly version: number;
  /** Writer's clock (ms since epoch) when it wrote. */
  readonly timestamp: number;
  /** The environment that wrote this version. */
  readonly environment: string;
}

/** Two writes of one key made from the same version (neither saw the other), kept for a person to decide. */
export interface SharedConflict {
  readonly key: string;
  /** What every environment has now (the write that got there first). */
  readonly current: SharedEntry;
  /** The write that came second and was held back. */
  readonly proposed: SharedEntry;
}

/** What happened to a `set`. */
export type SharedWriteOutcome =
  /** Written: no concurrent write, or this write won the conflict strategy. */
  | 'applied'
  /** Lost to a concurrent write under `latest-wins` / `environment-priority`: the current entry stays. */
  | 'rejected'
  /** Concurrent write under `manual`: held as a {@link SharedConflict} until `resolve`. */
  | 'conflict';

/** How concurrent writes of one key are decided. */
export type ConflictStrategy = 'latest-wins' | 'environment-priority' | 'manual';

/** Options of {@link createSharedState}. */
export interface SharedStateOptions {
  /** An ioredis client; the shared state uses it for writes and a `duplicate()` of it for pub/sub. Not closed. */
  readonly client: Redis;
  /** This environment's name (`'staging'`, `'production'`, a host…). */
  readonly environment: string;
  /** Key prefix (and pub/sub channel prefix). Default `'flowlane:'`. */
  readonly prefix?: string | undefined;
  /** Default `'latest-wins'`. */
  readonly conflict?: ConflictStrategy | undefined;
  /** For `environment-priority`: environments first to last; unlisted ones rank after all listed ones. */
  readonly priority?: readonly string[] | undefined;
  /** Clock for entry timestamps. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Value codec. Default strict JSON (refuses `Date`, `Map`, `undefined` properties… with `FL_REDIS_UNSERIALIZABLE`). */
  readonly codec?: RedisCodec | undefined;
}

/** Events of a {@link SharedState}. */
export interface SharedStateEvents {
  /**
   * This environment's copy of a key moved to a newer version — written here (`set`, `resolve`) or elsewhere (pub/sub,
   * `sync`). Once per version.
   */
  change: [entry: SharedEntry];
  /** A concurrent write was held back under `manual`. */
  conflict: [conflict: SharedConflict];
  /** A conflict was resolved (here or elsewhere). */
  resolved: [key: string];
}

// Writes one key: compare-and-set on the version the writer last saw; a concurrent write is decided by the strategy.
// KEYS: values hash, meta hash, conflicts hash. ARGV: key, value, base version, timestamp, environment, strategy,
// channel, priority… Meta is "version timestamp environment". Values are kept as the codec encoded them; messages
// carry them as JSON strings (so any codec works, and Lua's cjson never re-encodes a value, which would turn [] into {}).
const SET = `
local key, value, base, ts, env, strategy, channel = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local function rank(e) for i = 8, #ARGV do if ARGV[i] == e then return i end end return 1000000 end
local meta = redis.call('HGET', KEYS[2], key)
local cv, cts, cenv = 0, 0, ''
if meta then
  local a, b, c = string.match(meta, '^(%d+) (%-?%d+) (.*)$')
  cv, cts, cenv = tonumber(a), tonumber(b), c
end
local outcome = 'applied'
if meta and cv ~= base then
  if strategy == 'latest-wins' then
    if ts < cts then outcome = 'rejected' end
  elseif strategy == 'environment-priority' then
    local mine, theirs = rank(env), rank(cenv)
    if mine > theirs or (mine == theirs and ts < cts) then outcome = 'rejected' end
  else
    outcome = 'conflict'
  end
end
local function entry(v, t, e, val)
  return '{"key":' .. cjson.encode(key) .. ',"version":' .. v .. ',"timestamp":' .. t .. ',"environment":' .. cjson.encode(e) .. ',"value":' .. cjson.encode(val) .. '}'
end
if outcome == 'applied' then
  local v = cv + 1
  redis.call('HSET', KEYS[1], key, value)
  redis.call('HSET', KEYS[2], key, v .. ' ' .. ts .. ' ' .. env)
  local e = entry(v, ts, env, value)
  redis.call('PUBLISH', channel, '{"type":"change","entry":' .. e .. '}')
  return {outcome, e}
end
local current = entry(cv, cts, cenv, redis.call('HGET', KEYS[1], key))
if outcome == 'conflict' then
  local c = '{"key":' .. cjson.encode(key) .. ',"current":' .. current .. ',"proposed":' .. entry(cv + 1, ts, env, value) .. '}'
  redis.call('HSET', KEYS[3], key, c)
  redis.call('PUBLISH', channel, '{"type":"conflict","conflict":' .. c .. '}')
end
return {outcome, current}
`;

// Resolves a held conflict: writes the chosen value as the next version and drops the conflict.
// KEYS: values, meta, conflicts. ARGV: key, value, timestamp, environment, channel.
const RESOLVE = `
local key, value, ts, env, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HEXISTS', KEYS[3], key) == 0 then return false end
local meta = redis.call('HGET', KEYS[2], key)
local cv = meta and tonumber(string.match(meta, '^(%d+)')) or 0
local v = cv + 1
redis.call('HSET', KEYS[1], key, value)
redis.call('HSET', KEYS[2], key, v .. ' ' .. ts .. ' ' .. env)
redis.call('HDEL', KEYS[3], key)
local e = '{"key":' .. cjson.encode(key) .. ',"version":' .. v .. ',"timestamp":' .. ts .. ',"environment":' .. cjson.encode(env) .. ',"value":' .. cjson.encode(value) .. '}'
redis.call('PUBLISH', channel, '{"type":"change","entry":' .. e .. '}')
redis.call('PUBLISH', channel, '{"type":"resolved","key":' .. cjson.encode(key) .. '}')
return e
`;

interface Commands {
  flowlaneSharedSet(...args: (string | number)[]): Promise<[SharedWriteOutcome, string]>;
  flowlaneSharedResolve(...args: (string | number)[]): Promise<string | null>;
}

/**
 * State shared between environments (seed 001's cross-environment state) through Redis: every environment keeps a
 * local copy, writes go through Redis with a version check, and changes reach the other environments at once over
 * pub/sub (`sync()` re-reads everything, e.g. after a reconnect). Two writes of one key made from the same version
 * are decided by `conflict`: `latest-wins` (the later timestamp), `environment-priority` (the environment listed
 * first in `priority`), or `manual` (the second write is held as a conflict, emitted as a `conflict` event and listed
 * by `conflicts()`, until `resolve()`).
 *
 * @example
 * ```ts
 * import { createSharedState } from '@flowlane/store-redis';
 * import { startRedis } from '@flowlane/testing';
 * import { Redis } from 'ioredis';
 *
 * await using redis = await startRedis();
 * const client = new Redis(redis.url);
 * const staging = await createSharedState({ client, environment: 'staging' });
 * const production = await createSharedState({ client, environment: 'production' });
 * const seen = new Promise((resolve) => production.once('change', resolve));
 * await staging.set('deployment.version', '1.2.3');
 * await seen;
 * console.log(production.get('deployment.version')); // 1.2.3
 * await staging.close();
 * await production.close();
 * client.disconnect();
 * ```
 */
export class SharedState extends EventEmitter<SharedStateEvents> {
  readonly environment: string;
  readonly #client: Redis & Commands;
  readonly #sub: Redis;
  readonly #local = new Map<string, SharedEntry>();
  readonly #values: string;
  readonly #meta: string;
  readonly #conflicts: string;
  readonly #channel: string;
  readonly #strategy: ConflictStrategy;
  readonly #priority: readonly string[];
  readonly #now: () => number;
  readonly #codec: RedisCodec;
  #closed = false;

  #open(operation: string): void {
    if (this.#closed) throw new RedisStoreError('FL_REDIS_CLOSED', { environment: this.environment, operation });
  }

  /** @internal Use {@link createSharedState}. */
  constructor(options: SharedStateOptions) {
    super();
    const prefix = options.prefix ?? 'flowlane:';
    this.environment = options.environment;
    this.#client = options.client as Redis & Commands;
    if (typeof this.#client.flowlaneSharedSet !== 'function') {
      options.client.defineCommand('flowlaneSharedSet', { numberOfKeys: 3, lua: SET });
      options.client.defineCommand('flowlaneSharedResolve', { numberOfKeys: 3, lua: RESOLVE });
    }
    this.#sub = options.client.duplicate();
    this.#values = `${prefix}shared:values`;
    this.#meta = `${prefix}shared:meta`;
    this.#conflicts = `${prefix}shared:conflicts`;
    this.#channel = `${prefix}shared:changes`;
    this.#strategy = options.conflict ?? 'latest-wins';
    this.#priority = options.priority ?? [];
    this.#now = options.now ?? Date.now;
    this.#codec = options.codec ?? strictJsonCodec;
  }

  /** @internal Subscribes, then loads everything (so no change between the two is missed). */
  async start(): Promise<void> {
    this.#sub.on('message', (_channel: string, message: string) => this.#onMessage(message));
    await this.#sub.subscribe(this.#channel);
    await this.sync();
  }

  #onMessage(message: string): void {
    const m = JSON.parse(message) as
      | { type: 'change'; entry: SharedEntry }
      | { type: 'conflict'; conflict: SharedConflict }
      | { type: 'resolved'; key: string };
    if (m.type === 'change') {
      this.#apply(this.#decodeEntry(m.entry));
    } else if (m.type === 'conflict')
      this.emit('conflict', {
        key: m.conflict.key,
        current: this.#decodeEntry(m.conflict.current),
        proposed: this.#decodeEntry(m.conflict.proposed),
      });
    else this.emit('resolved', m.key);
  }

  /** Keeps `entry` when it is newer than the local copy, and tells the `change` listeners. */
  #apply(entry: SharedEntry): void {
    const mine = this.#local.get(entry.key);
    if (mine !== undefined && mine.version >= entry.version) return;
    this.#local.set(entry.key, entry);
    this.emit('change', entry);
  }

  #encode(key: string, value: unknown): string {
    try {
      return this.#codec.encode(value);
    } catch (e) {
      throw new RedisStoreError('FL_REDIS_UNSERIALIZABLE', {
        store: 'shared state',
        key,
        reason: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** An entry from a script or message: plain JSON whose `value` is the codec's text. */
  #decodeEntry(raw: SharedEntry | string): SharedEntry {
    const e = typeof raw === 'string' ? (JSON.parse(raw) as SharedEntry) : raw;
    return { ...e, value: this.#codec.decode(e.value as string) };
  }

  /** This environment's copy of `key`'s value (updated by pub/sub as other environments write). */
  get<T = unknown>(key: string): T | undefined {
    return this.#local.get(key)?.value as T | undefined;
  }

  /** This environment's copy of `key` with its version, timestamp and writer. */
  entry(key: string): SharedEntry | undefined {
    return this.#local.get(key);
  }

  /** Every key as this environment sees it. */
  snapshot(): Record<string, SharedEntry> {
    return Object.fromEntries(this.#local);
  }

  /**
   * Write `key` from the version this environment last saw. Resolves with the outcome and the entry every
   * environment now has (the new one when `applied`).
   */
  async set(key: string, value: unknown): Promise<{ outcome: SharedWriteOutcome; entry: SharedEntry }> {
    this.#open('set');
    const text = this.#encode(key, value);
    const [outcome, current] = await this.#client.flowlaneSharedSet(
      this.#values,
      this.#meta,
      this.#conflicts,
      key,
      text,
      this.#local.get(key)?.version ?? 0,
      Math.round(this.#now()),
      this.environment,
      this.#strategy,
      this.#channel,
      ...this.#priority,
    );
    const entry = this.#decodeEntry(current);
    this.#apply(entry);
    return { outcome, entry };
  }

  /** Re-read every key from Redis (after a reconnect, or to be sure). */
  async sync(): Promise<void> {
    this.#open('sync');
    const [[, values], [, metas]] = (await this.#client.multi().hgetall(this.#values).hgetall(this.#meta).exec()) as [
      [unknown, Record<string, string>],
      [unknown, Record<string, string>],
    ];
    for (const [key, meta] of Object.entries(metas)) {
      const m = /^(\d+) (-?\d+) (.*)$/.exec(meta);
      const text = values[key];
      if (m === null || text === undefined) continue;
      this.#apply({
        key,
        value: this.#codec.decode(text),
        version: Number(m[1]),
        timestamp: Number(m[2]),
        environment: m[3]!,
      });
    }
  }

  /** Conflicts held under `manual`, waiting for `resolve`. */
  async conflicts(): Promise<SharedConflict[]> {
    this.#open('conflicts');
    const all = await this.#client.hgetall(this.#conflicts);
    return Object.values(all).map((text) => {
      const c = JSON.parse(text) as SharedConflict;
      return { key: c.key, current: this.#decodeEntry(c.current), proposed: this.#decodeEntry(c.proposed) };
    });
  }

  /**
   * Decide a held conflict: keep `'current'`, take `'proposed'`, or write `{ value }`. The choice becomes the key's
   * next version (written by this environment) in every environment. False when there was no conflict for `key`.
   */
  async resolve(key: string, choice: 'current' | 'proposed' | { readonly value: unknown }): Promise<boolean> {
    this.#open('resolve');
    let value: unknown;
    if (choice === 'current' || choice === 'proposed') {
      const c = (await this.conflicts()).find((x) => x.key === key);
      if (c === undefined) return false;
      value = c[choice].value;
    } else value = choice.value;
    const e = await this.#client.flowlaneSharedResolve(
      this.#values,
      this.#meta,
      this.#conflicts,
      key,
      this.#encode(key, value),
      Math.round(this.#now()),
      this.environment,
      this.#channel,
    );
    if (e === null) return false;
    this.#apply(this.#decodeEntry(e));
    return true;
  }

  /**
   * Stop listening (the client given in the options stays open). Afterwards `set`, `sync`, `conflicts` and `resolve`
   * reject with `FL_REDIS_CLOSED` (a write would reach Redis while this copy no longer hears changes); `get`,
   * `entry` and `snapshot` keep answering from the last local copy.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.removeAllListeners();
    await this.#sub.quit().catch(() => undefined);
    this.#sub.disconnect();
  }
}

/**
 * Creates a {@link SharedState} for one environment and loads the current state.
 *
 * @example
 * ```ts
 * import { createSharedState } from '@flowlane/store-redis';
 * import { startRedis } from '@flowlane/testing';
 * import { Redis } from 'ioredis';
 *
 * await using redis = await startRedis();
 * const client = new Redis(redis.url);
 * const state = await createSharedState({ client, environment: 'staging', conflict: 'manual' });
 * await state.set('maintenance.mode', false);
 * console.log(state.get('maintenance.mode')); // false
 * await state.close();
 * client.disconnect();
 * ```
 */
export async function createSharedState(options: SharedStateOptions): Promise<SharedState> {
  const known = ['client', 'environment', 'prefix', 'conflict', 'priority', 'now', 'codec'];
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new RedisStoreError('FL_REDIS_INVALID_OPTION', {
        where: 'createSharedState()',
        option: key,
        reason: `unknown option of createSharedState (known: ${known.join(', ')})`,
      });
  if (options.client === undefined)
    throw new RedisStoreError('FL_REDIS_INVALID_OPTION', {
      where: 'createSharedState()',
      option: 'client',
      reason: 'required',
    });
  if (typeof options.environment !== 'string' || options.environment === '' || /\s/.test(options.environment))
    throw new RedisStoreError('FL_REDIS_INVALID_OPTION', {
      where: 'createSharedState()',
      option: 'environment',
      reason: 'expected a non-empty name without spaces',
    });
  const c = options.conflict;
  if (c !== undefined && c !== 'latest-wins' && c !== 'environment-priority' && c !== 'manual')
    throw new RedisStoreError('FL_REDIS_INVALID_OPTION', {
      where: 'createSharedState()',
      option: 'conflict',
      reason: `expected 'latest-wins', 'environment-priority' or 'manual', got ${JSON.stringify(c)}`,
    });
  if (c === 'environment-priority' && (options.priority?.length ?? 0) === 0)
    throw new RedisStoreError('FL_REDIS_INVALID_OPTION', {
      where: 'createSharedState()',
      option: 'priority',
      reason: "conflict: 'environment-priority' needs the environments in order of priority",
    });
  if (c !== 'environment-priority' && options.priority !== undefined)
    throw new RedisStoreError('FL_REDIS_INVALID_OPTION', {
      where: 'createSharedState()',
      option: 'priority',
      reason: `only conflict: 'environment-priority' reads it (conflict is ${JSON.stringify(c ?? 'latest-wins')})`,
    });
  const state = new SharedState(options);
  await state.start();
  return state;
}

import { randomUUID } from 'node:crypto';
import type { FlowControlBackend, RateDecision } from '@flowlane/core';
import type { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';

/** Options of {@link createRedisFlowControlBackend}. */
export interface RedisFlowControlOptions {
  /** Prefix of every key. Default `'flowlane:'`. */
  readonly prefix?: string | undefined;
  /**
   * A held slot is kept while its engine renews it (every third of the lease); a crashed engine's slots are free
   * again at most this many ms after its last renewal. Default 30 000.
   */
  readonly leaseMs?: number | undefined;
  /** How often a blocked key is retried, since slots are freed by other engines too. Default 250. */
  readonly pollIntervalMs?: number | undefined;
  /**
   * Carry custom events between the engines on this Redis (pub/sub), so a `cancelOn` event emitted on one engine
   * cancels matching runs on every engine: each custom event costs one pipelined `PUBLISH` (not awaited), and an
   * engine whose runs listen for events keeps one extra subscriber connection. Default `true`.
   */
  readonly shareEvents?: boolean | undefined;
}

/** A custom event on `<prefix>fc:event:<name>`: JSON of the payload and the publishing backend's id. */
interface EventMessage {
  readonly origin: string;
  readonly payload?: unknown;
}

// Server time in ms: every engine sharing the Redis measures leases and windows on one clock.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] slots zset (holder → lease expiry); ARGV limit, holder, leaseMs. 1 when the holder has a slot. */
const ACQUIRE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], lease * 2)
  return 1
end
return 0`;

/** KEYS[1] slots zset; ARGV leaseMs, holders… Extends the holders' leases that still exist. */
const RENEW = `${NOW}
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i]) end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], lease * 2) end
return 1`;

/**
 * KEYS[1] window zset (member → start time); ARGV limit, period, member. {1, 0} when the start is recorded, else
 * {0, ms until the oldest counted start leaves the window}.
 */
const TAKE = `${NOW}
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. now)
  redis.call('PEXPIRE', KEYS[1], period)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tonumber(oldest[2]) + period - now}`;

type FlowClient = Redis & {
  flowlaneFcAcquire(key: string, limit: number, holder: string, leaseMs: number): Promise<number>;
  flowlaneFcRenew(key: string, leaseMs: number, ...holders: string[]): Promise<number>;
  flowlaneFcTake(key: string, limit: number, period: number, member: string): Promise<[number, number]>;
};

/**
 * Flow control shared through Redis: per-key concurrency slots with leases (a crashed engine's slots come back after
 * `leaseMs`) and sliding-window rate limits, both kept in sorted sets and changed by Lua scripts on Redis's own
 * clock, so engines sharing a Redis never exceed a key's limit together and limits survive restarts. Installed by
 * `redisStore({ stores: ['flowControl', …] })`, or by a plugin of yours with `api.flowControl.setBackend`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisFlowControlBackend } from '@flowlane/store-redis';
 * import { startRedis } from '@flowlane/testing';
 *
 * await using redis = await startRedis();
 * const client = new Redis(redis.url, { maxRetriesPerRequest: null });
 * const backend = createRedisFlowControlBackend(client, { leaseMs: 5_000 });
 * console.log(await backend.acquire({ key: 'tenant-a', limit: 1, holder: 'run-1' })); // true
 * console.log(await backend.acquire({ key: 'tenant-a', limit: 1, holder: 'run-2' })); // false
 * await backend.dispose?.();
 * client.disconnect();
 * ```
 */
export function createRedisFlowControlBackend(
  client: Redis,
  options: RedisFlowControlOptions = {},
): FlowControlBackend {
  return redisFlowControl(client, options).backend;
}

/**
 * The backend and `settled()`: resolves once the slot releases already issued have been answered. The plugin awaits
 * it before closing its connection — a run that ended just before `engine.close()` issued its `ZREM` (auto-pipelined,
 * sent on the next turn of the event loop) and QUIT would otherwise overtake it, leaving the slot held in Redis for
 * `leaseMs`.
 */
export function redisFlowControl(
  client: Redis,
  options: RedisFlowControlOptions = {},
): { readonly backend: FlowControlBackend; settled(): Promise<void> } {
  const prefix = `${options.prefix ?? 'flowlane:'}fc:`;
  const leaseMs = options.leaseMs ?? 30_000;
  const c = client as FlowClient;
  if (typeof c.flowlaneFcAcquire !== 'function') {
    client.defineCommand('flowlaneFcAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    client.defineCommand('flowlaneFcRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('flowlaneFcTake', { numberOfKeys: 1, lua: TAKE });
  }
  /** Slots this engine holds: key → holders, renewed every third of the lease. */
  const held = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  const renew = (): void => {
    for (const [key, holders] of held)
      if (holders.size > 0) void c.flowlaneFcRenew(`${prefix}slots:${key}`, leaseMs, ...holders).catch(() => undefined);
  };
  const ensureTimer = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(renew, Math.max(1, Math.floor(leaseMs / 3)));
    timer.unref();
  };
  const events = options.shareEvents === false ? undefined : redisEvents(client, `${prefix}event:`);
  const releasing = new Set<Promise<unknown>>();
  const backend: FlowControlBackend = {
    name: 'redis',
    ...events?.methods,
    pollInterval: options.pollIntervalMs ?? 250,
    async acquire({ key, limit, holder }) {
      const ok = (await c.flowlaneFcAcquire(`${prefix}slots:${key}`, limit, holder, leaseMs)) === 1;
      if (ok) {
        let set = held.get(key);
        if (set === undefined) held.set(key, (set = new Set()));
        set.add(holder);
        ensureTimer();
      }
      return ok;
    },
    async release({ key, holder }) {
      const set = held.get(key);
      set?.delete(holder);
      if (set?.size === 0) held.delete(key);
      const sent = c.zrem(`${prefix}slots:${key}`, holder);
      const tracked: Promise<unknown> = sent.then(
        (): void => void releasing.delete(tracked),
        (): void => void releasing.delete(tracked),
      );
      releasing.add(tracked);
      await sent;
    },
    async take({ key, limit, period, now, holder }): Promise<RateDecision> {
      const [ok, wait] = await c.flowlaneFcTake(`${prefix}rate:${key}`, limit, Math.ceil(period), holder);
      return ok === 1 ? { admitted: true } : { admitted: false, retryAt: now + Math.max(1, wait) };
    },
    dispose() {
      clearInterval(timer);
      timer = undefined;
      held.clear();
      events?.close();
    },
  };
  return { backend, settled: () => Promise.all([...releasing]).then(() => undefined) };
}

/**
 * Custom events between engines over Redis pub/sub, one channel per event name (an engine only receives the names
 * its runs listen for). Publishing uses the shared connection (auto-pipelined); subscribing needs a connection of
 * its own (`client.duplicate()`, made on first use). An engine ignores its own messages (it handled them already).
 */
function redisEvents(client: Redis, channelPrefix: string) {
  const origin = randomUUID();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let sub: Redis | undefined;
  const subscriber = (): Redis => {
    if (sub !== undefined) return sub;
    sub = client.duplicate();
    sub.on('error', () => undefined); // reconnects on its own; the main client reports outages
    sub.on('message', (channel: string, text: string) => {
      const set = listeners.get(channel);
      if (set === undefined) return;
      let msg: EventMessage;
      try {
        msg = JSON.parse(text) as EventMessage;
      } catch {
        return; // not ours
      }
      if (msg?.origin === origin) return;
      for (const fn of [...set]) fn(msg.payload);
    });
    return sub;
  };
  const methods: Pick<FlowControlBackend, 'publishEvent' | 'subscribeEvents'> = {
    async publishEvent({ name, payload }) {
      let text: string;
      try {
        text = JSON.stringify({ origin, payload } satisfies EventMessage);
      } catch (e) {
        throw new RedisStoreError('FL_REDIS_UNSERIALIZABLE', {
          store: 'flow-control event',
          key: name,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
      await client.publish(`${channelPrefix}${name}`, text);
    },
    subscribeEvents(name, listener) {
      const channel = `${channelPrefix}${name}`;
      let set = listeners.get(channel);
      if (set === undefined) {
        listeners.set(channel, (set = new Set()));
        subscriber()
          .subscribe(channel)
          .catch(() => undefined);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size > 0 || listeners.get(channel) !== set) return;
        listeners.delete(channel);
        sub?.unsubscribe(channel).catch(() => undefined);
      };
    },
  };
  return {
    methods,
    close: () => {
      listeners.clear();
      sub?.disconnect();
      sub = undefined;
    },
  };
}

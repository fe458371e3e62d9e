import type { FlowControlBackend, RateDecision } from '@flowlane/core';
import type { Redis } from 'ioredis';

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
  return {
    name: 'redis',
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
      await c.zrem(`${prefix}slots:${key}`, holder);
    },
    async take({ key, limit, period, now, holder }): Promise<RateDecision> {
      const [ok, wait] = await c.flowlaneFcTake(`${prefix}rate:${key}`, limit, Math.ceil(period), holder);
      return ok === 1 ? { admitted: true } : { admitted: false, retryAt: now + Math.max(1, wait) };
    },
    dispose() {
      clearInterval(timer);
      timer = undefined;
      held.clear();
    },
  };
}

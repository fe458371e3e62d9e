import { randomUUID } from 'node:crypto';
import type { CacheLock, CacheStore } from '@flowlane/core';
import type { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';
import type { RedisCodec } from './options.js';

// Drops the lock if this caller still holds it, then wakes the processes waiting for the value.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1
`;

interface Commands {
  flowlaneCacheRelease(lock: string, channel: string, token: string, key: string): Promise<number>;
}

/**
 * Node outputs for `cache` in Redis: one string key per entry with a millisecond TTL (`SET … PX`), encoded with the
 * codec (strict JSON by default: a value JSON would change is refused with `FL_REDIS_UNSERIALIZABLE`, never stored
 * corrupted). Keys are `<prefix>cache:<engine cache key>` (the engine's keys carry the workflow name and version).
 * Single-flight across processes: on a miss, the first process takes a lock (`SET NX PX`, expiring after the node's
 * timeout or 30 s) and computes; the others wait until it publishes completion (pub/sub on one `duplicate()`
 * connection, opened on first wait) or its lock expires, then read the value.
 */
export function createRedisCacheStore(
  client: Redis,
  options: { prefix: string; codec: RedisCodec },
): CacheStore & { dispose(): Promise<void> } {
  const c = client as Redis & Commands;
  if (typeof c.flowlaneCacheRelease !== 'function')
    client.defineCommand('flowlaneCacheRelease', { numberOfKeys: 2, lua: RELEASE });
  const key = (k: string) => `${options.prefix}cache:${k}`;
  const lock = (k: string) => `${options.prefix}cache-lock:${k}`;
  const channel = `${options.prefix}cache:done`;
  const waiters = new Map<string, Set<() => void>>();
  let sub: Promise<Redis> | undefined;

  const subscriber = (): Promise<Redis> => {
    sub ??= (async () => {
      const s = client.duplicate();
      s.on('message', (_ch: string, k: string) => {
        for (const wake of waiters.get(k) ?? []) wake();
      });
      await s.subscribe(channel);
      return s;
    })();
    return sub;
  };

  /** Resolves when the holder of `k`'s lock published completion, the lock is gone, or `maxMs` passed. */
  const waitFor = async (k: string, maxMs: number): Promise<void> => {
    await subscriber();
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    let set = waiters.get(k);
    if (set === undefined) waiters.set(k, (set = new Set()));
    set.add(wake);
    let timer: NodeJS.Timeout | undefined;
    try {
      // Subscribed before looking: a completion between the failed SET NX and now is not missed.
      const ttl = await client.pttl(lock(k));
      if (ttl < 0) return;
      await Promise.race([
        woken,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.min(ttl, maxMs) + 10);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      set.delete(wake);
      if (set.size === 0) waiters.delete(k);
    }
  };

  const store = {
    name: 'redis',
    async get(k: string) {
      const text = await client.get(key(k));
      return text === null ? undefined : { value: options.codec.decode(text) };
    },
    async set(k: string, value: unknown, ttlMs: number) {
      let text: string;
      try {
        text = options.codec.encode(value);
      } catch (e) {
        throw new RedisStoreError('FL_REDIS_UNSERIALIZABLE', {
          store: 'cache',
          key: k,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
      await client.set(key(k), text, 'PX', Math.max(1, Math.round(ttlMs)));
    },
    async delete(k: string) {
      await client.del(key(k));
    },
    async acquire(k: string, lockMs: number): Promise<CacheLock> {
      const token = randomUUID();
      if ((await client.set(lock(k), token, 'PX', Math.max(1, Math.round(lockMs)), 'NX')) === 'OK')
        return {
          compute: true,
          release: () => {
            c.flowlaneCacheRelease(lock(k), channel, token, k).catch(() => undefined);
          },
        };
      await waitFor(k, lockMs);
      return { compute: false, entry: await store.get(k) };
    },
    async dispose() {
      const s = sub;
      sub = undefined;
      if (s !== undefined) (await s).disconnect();
    },
  };
  return store;
}

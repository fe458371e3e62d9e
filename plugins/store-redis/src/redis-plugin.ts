import { definePlugin, type FlowlanePlugin, Tokens } from '@flowlane/core';
import { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';
import { type RedisStoreOptions, redactRedisUrl, resolveOptions } from './options.js';
import { createRedisCacheStore } from './redis-cache-store.js';
import { createRedisExecutionStore } from './redis-execution-store.js';
import { redisFlowControl } from './redis-flow-control.js';
import { createRedisStateStore } from './redis-state-store.js';
import { listenForControl } from './run-control.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/**
 * Connects a client made from a URL, or fails with `FL_REDIS_UNREACHABLE` (URL redacted) within `timeoutMs`.
 * The client reconnects on its own afterwards and queues commands while Redis is away (`maxRetriesPerRequest: null`),
 * so a run pauses at its next transition instead of failing, and continues when Redis is back.
 */
async function connect(url: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // Concurrent runs' log writes issued in the same tick share one socket write.
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(50 * times, 1_000),
  });
  let lastError: unknown;
  const onError = (e: unknown): void => {
    lastError = e;
  };
  client.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        // engine.close() during setup: stop trying at once (core reports FL_ENGINE_CLOSED).
        onAbort = () => reject(signal!.reason);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    return client;
  } catch (e) {
    client.disconnect();
    if (signal?.aborted) throw signal.reason;
    const cause = lastError ?? e;
    throw new RedisStoreError(
      'FL_REDIS_UNREACHABLE',
      { url: redactRedisUrl(url), reason: cause instanceof Error ? cause.message : String(cause) },
      { cause },
    );
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    client.off('error', onError);
  }
}

/**
 * Redis for Flowlane through `ioredis`: installs the durable execution store (`engine.resume`, `resume: 'auto'`,
 * `engine.runs`), the cache store (`cache` node option) and the state store (`ctx.storage`) — all three unless
 * `stores` picks some. With `url`, the plugin owns the connection: it connects during setup (`FL_REDIS_UNREACHABLE`,
 * password redacted, when Redis does not answer within `connectTimeoutMs`) and closes it with the engine.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { redisStore } from '@flowlane/store-redis';
 * import { startRedis } from '@flowlane/testing';
 *
 * await using redis = await startRedis();
 * const deploy = workflow('deploy', { version: '1' }).addNode('build', () => 'app:1').build();
 * const engine = createEngine({ plugins: [redisStore({ url: redis.url })], workflows: [deploy] });
 * const result = await engine.run(deploy, {}, { executionId: 'deploy-1' }).result;
 * console.log(result.status, (await engine.runs.get('deploy-1'))?.status); // success success
 * await engine.close();
 * ```
 */
export function redisStore(options: RedisStoreOptions): Readonly<FlowlanePlugin> {
  const o = resolveOptions(options);
  return definePlugin({
    name: '@flowlane/store-redis',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    async setup(api) {
      const owned = o.client === undefined;
      const client = o.client ?? (await connect(o.url!, o.connectTimeoutMs, api.signal));
      let down = false;
      const where = o.url === undefined ? 'the given client' : redactRedisUrl(o.url);
      const onError = (e: Error): void => {
        if (down) return;
        down = true;
        api.logger.warn('redis connection lost; runs pause at their next transition until it is back', {
          redis: where,
          error: e.message,
        });
      };
      const onReady = (): void => {
        if (down) api.logger.info('redis connection back', { redis: where });
        down = false;
      };
      client.on('error', onError);
      client.on('ready', onReady);
      let stopControl: (() => void) | undefined;
      let flowSettled: (() => Promise<void>) | undefined;
      if (o.stores.has('executions')) {
        api.executions.setStore(createRedisExecutionStore(client, { prefix: o.prefix, retentionMs: o.retentionMs }));
        if (o.control)
          stopControl = await listenForControl(
            client,
            o.prefix,
            () => api.container.resolve(Tokens.Engine),
            (message, error) =>
              api.logger.warn(message, { error: error instanceof Error ? error.message : String(error) }),
          );
      }
      if (o.stores.has('cache'))
        api.cache.setStore(createRedisCacheStore(client, { prefix: o.prefix, codec: o.codec }));
      if (o.stores.has('flowControl')) {
        const flow = redisFlowControl(client, { prefix: o.prefix, ...o.flowControl });
        flowSettled = flow.settled;
        api.flowControl.setBackend(flow.backend);
      }
      if (o.stores.has('state'))
        api.state.setStore(
          createRedisStateStore(client, { prefix: o.prefix, codec: o.codec, retentionMs: o.retentionMs }),
        );
      return async () => {
        stopControl?.();
        client.off('error', onError);
        client.off('ready', onReady);
        // Slots given back by runs that just ended: their ZREM must reach Redis before QUIT (or the caller's own
        // client.quit()), or the slot stays held for the lease (2 s at most, like QUIT below).
        let drainTimer: NodeJS.Timeout | undefined;
        await Promise.race([
          flowSettled?.(),
          new Promise((r) => {
            drainTimer = setTimeout(r, 2_000);
          }),
        ]);
        clearTimeout(drainTimer);
        if (!owned) return;
        // QUIT waits for replies still due; a Redis that is away gets 2 s, then the socket is dropped.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          client.quit().catch(() => undefined),
          new Promise((r) => {
            timer = setTimeout(r, 2_000);
          }),
        ]);
        clearTimeout(timer);
        client.disconnect();
      };
    },
  });
}

import type { Logger } from '@flowlane/core';
import { Pushgateway, type Registry, type RegistryContentType } from 'prom-client';
import { PrometheusErrorCodes } from './errors.js';
import type { ResolvedPushgateway } from './options.js';

/** Internal: pushes a registry to a Pushgateway off the hot path, at most one push at a time. */
export interface PushgatewayPusher {
  /** Ask for a push soon (returns at once; requests made while a push runs are coalesced into one more push). */
  request(): void;
  /** Waits for the running push, then pushes once more if anything was requested since. Never rejects. */
  flush(): Promise<void>;
}

/**
 * Internal: a coalescing pusher. A request schedules a push on the next turn of the event loop (never inside the
 * event that asked for it); while a push runs, further requests set a flag that causes exactly one more push.
 * Failures are logged (`FL_PROMETHEUS_PUSH_FAILED`), never thrown.
 */
export function createPushgatewayPusher(
  registry: Registry<RegistryContentType>,
  options: ResolvedPushgateway,
  logger: Logger,
): PushgatewayPusher {
  const gateway = new Pushgateway(
    options.url,
    { timeout: options.timeoutMs, ...(options.headers === undefined ? {} : { headers: { ...options.headers } }) },
    registry,
  );
  const params = { jobName: options.jobName, groupings: { ...options.groupings } };
  let wanted = false;
  let running: Promise<void> | undefined;

  const pushOnce = async (): Promise<void> => {
    try {
      await (options.method === 'push' ? gateway.push(params) : gateway.pushAdd(params));
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      // Never the raw URL: it may carry basic-auth credentials (http://user:password@host).
      const url = options.displayUrl;
      logger.warn(
        PrometheusErrorCodes.FL_PROMETHEUS_PUSH_FAILED({ url, reason: reason.split(options.url).join(url) }),
        {
          code: 'FL_PROMETHEUS_PUSH_FAILED',
          url,
        },
      );
    }
  };
  const loop = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (wanted) {
      wanted = false;
      await pushOnce();
    }
    running = undefined;
  };
  const request = (): void => {
    wanted = true;
    running ??= loop();
  };
  return {
    request,
    async flush() {
      await running;
      if (wanted) {
        request();
        await running;
      }
    },
  };
}

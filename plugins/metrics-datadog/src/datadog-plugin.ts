import {
  definePlugin,
  type FlowEvent,
  type FlowlanePlugin,
  type Scheduler,
  type SystemEvent,
  Tokens,
} from '@flowlane/core';
import { StatsD } from 'hot-shots';
import { createErrorReporter } from './error-reporter.js';
import { FlowAggregator } from './flow-aggregator.js';
import { type DatadogOptions, resolveOptions } from './options.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** How long `engine.close()` waits for the client to flush and close. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * DataDog metrics for every run of an engine over DogStatsD (hot-shots): run and node counts by status, run and node
 * durations (timing or distribution), retries, cache hits, runs and nodes in flight and the scheduler's queue depth,
 * tagged `workflow:…`, `node:…`, `status:…` plus your global tags. Events are aggregated in memory (nothing is sent
 * or awaited inside a run) and sent every `flushInterval` ms and on `engine.close()`. Client errors go to the engine
 * logger, never into runs; workflow names and node ids beyond the limits become `other`.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { datadog } from '@flowlane/metrics-datadog';
 *
 * // Sends to DD_AGENT_HOST:DD_DOGSTATSD_PORT (default localhost:8125).
 * const engine = createEngine({ plugins: [datadog({ globalTags: { env: 'prod', service: 'billing' } })] });
 * await engine.ready();
 * await engine.close(); // sends what is left
 * ```
 */
export function datadog(options: DatadogOptions = {}): Readonly<FlowlanePlugin> {
  const o = resolveOptions(options, process.env);
  return definePlugin({
    name: '@flowlane/metrics-datadog',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const container = api.container;
      const scheduler = (): Scheduler | undefined => {
        try {
          return container.resolve(Tokens.Scheduler);
        } catch {
          return undefined;
        }
      };
      const report = createErrorReporter(api.logger);
      const own = options.client === undefined;
      const client =
        options.client ??
        new StatsD({
          maxBufferSize: o.maxBufferSize,
          bufferFlushInterval: o.flushInterval,
          ...options.clientOptions,
          host: o.host,
          port: o.port,
          errorHandler: report,
        });
      const aggregator = new FlowAggregator(o, scheduler);
      const flush = (): void => {
        try {
          aggregator.flush(client);
        } catch (e) {
          report(e);
        }
      };
      api.metrics.addExporter({
        name: 'datadog',
        // Called directly by the engine for each event (no subscription on the hot path). A throw is caught and
        // logged by the engine (the first few per exporter, then a count on close): it never reaches a run.
        handle: (e: FlowEvent) => aggregator.handle(e),
        handleSystem: (e: SystemEvent) => aggregator.handleSystem(e),
      });
      const timer = setInterval(flush, o.flushInterval);
      timer.unref();
      return async () => {
        clearInterval(timer);
        flush();
        await new Promise<void>((resolve) => {
          const guard = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          const done = (error?: Error | null): void => {
            clearTimeout(guard);
            if (error) report(error);
            resolve();
          };
          try {
            if (own) client.close(done);
            else client.flush(done);
          } catch (e) {
            done(e instanceof Error ? e : new Error(String(e)));
          }
        });
      };
    },
  });
}

import {
  definePlugin,
  type FlowEvent,
  type FlowlanePlugin,
  type Scheduler,
  type SystemEvent,
  Tokens,
} from '@flowlane/core';
import { Registry, type RegistryContentType } from 'prom-client';
import { FlowMetrics } from './flow-metrics.js';
import { type MetricsServer, type MetricsServerAddress, startMetricsServer } from './metrics-server.js';
import { type PrometheusOptions, resolveOptions } from './options.js';
import { createPushgatewayPusher } from './pushgateway-pusher.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/**
 * The plugin object returned by {@link prometheus}: a Flowlane plugin plus access to its registry.
 *
 * @example
 * ```ts
 * import { type PrometheusPlugin, prometheus } from '@flowlane/metrics-prometheus';
 *
 * const metrics: PrometheusPlugin = prometheus();
 * const text = await metrics.metrics(); // Prometheus text format
 * ```
 */
export interface PrometheusPlugin extends FlowlanePlugin {
  /** The registry the metrics live in (the one passed as `registry`, or the plugin's own). */
  readonly registry: Registry<RegistryContentType>;
  /** The registry as Prometheus text exposition format, for users who serve it themselves. */
  metrics(): Promise<string>;
  /** The `Content-Type` to send with {@link PrometheusPlugin.metrics}' text. */
  readonly contentType: string;
  /** Where the `/metrics` server listens once `engine.ready()` resolved; `undefined` without `server` or after close. */
  address(): MetricsServerAddress | undefined;
}

/**
 * Prometheus metrics for every run of an engine, through `prom-client`: run and node counters by status, duration
 * histograms in seconds, retries, cache hits, runs and nodes in flight and the scheduler's queue depth. Instruments
 * are updated synchronously from the engine's event stream (nothing is awaited on the hot path); workflow names and
 * node ids beyond `maxWorkflows` / `maxNodeIds` collapse to `other`, and execution ids are never labels. Serve them
 * with `server`, read them with `metrics()`, or push them to a Pushgateway when runs finish.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { prometheus } from '@flowlane/metrics-prometheus';
 *
 * const metrics = prometheus({ staticLabels: { service: 'billing' } });
 * const engine = createEngine({ plugins: [metrics] });
 * await engine.execute(workflow('etl').addNode('extract', () => 42).build(), {});
 * const text = await metrics.metrics();
 * console.log(text.includes('flowlane_workflow_runs_total{workflow="etl",status="success",service="billing"} 1')); // true
 * await engine.close();
 * ```
 */
export function prometheus(options: PrometheusOptions = {}): Readonly<PrometheusPlugin> {
  const o = resolveOptions(options);
  const ownRegistry = options.registry === undefined;
  const registry = options.registry ?? new Registry();
  let server: MetricsServer | undefined;
  return definePlugin({
    name: '@flowlane/metrics-prometheus',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    address: () => server?.address,
    async setup(api) {
      const container = api.container;
      const scheduler = (): Scheduler | undefined => {
        try {
          return container.resolve(Tokens.Scheduler);
        } catch {
          return undefined;
        }
      };
      const flow = new FlowMetrics(registry, o, scheduler);
      const logger = api.logger;
      const pusher = o.pushgateway === undefined ? undefined : createPushgatewayPusher(registry, o.pushgateway, logger);
      // The engine calls these directly for each event (no subscription on the hot path). A throw is caught and
      // logged by the engine (the first few per exporter, then a count on close): it never reaches a run.
      const onEvent = (e: FlowEvent): void => {
        try {
          flow.handle(e);
        } finally {
          if (
            pusher !== undefined &&
            e.parentExecutionId === undefined &&
            (e.type === 'workflow.completed' || e.type === 'workflow.failed' || e.type === 'workflow.cancelled')
          )
            pusher.request();
        }
      };
      const onSystemEvent = (e: SystemEvent): void => flow.handleSystem(e);
      api.metrics.addExporter({ name: 'prometheus', handle: onEvent, handleSystem: onSystemEvent });
      if (o.server !== undefined) {
        try {
          server = await startMetricsServer({ ...o.server, registry, logger });
        } catch (e) {
          flow.unregister();
          throw e;
        }
      }
      return async () => {
        const s = server;
        server = undefined;
        await Promise.all([s?.close(), pusher?.flush()]);
        // A registry passed in outlives the engine: free the names so another engine can register them. The plugin's
        // own registry keeps the final values for `metrics()`.
        if (!ownRegistry) flow.unregister();
      };
    },
  });
}

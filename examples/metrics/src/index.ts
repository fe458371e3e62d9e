import { createEngine, type Engine, workflow } from '@flowlane/core';
import { type PrometheusPlugin, prometheus } from '@flowlane/metrics-prometheus';

/** A small ETL workflow: extract → (clean, enrich) → load, with a node that fails now and then and is retried. */
export const etl = workflow('etl')
  .addNode('extract', () => Array.from({ length: 20 }, (_, i) => i))
  .addNode('clean', (ctx) => ctx.results.extract.filter((n: number) => n % 3 !== 0), { dependsOn: ['extract'] })
  .addNode(
    'enrich',
    async (ctx) => {
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      if (ctx.attempt === 1 && Math.random() < 0.2) throw new Error('enrichment service busy');
      return ctx.results.extract.length;
    },
    { dependsOn: ['extract'], retry: { maxAttempts: 3, initialInterval: 10 } },
  )
  .addNode('load', (ctx) => ctx.results.clean.length + ctx.results.enrich, { dependsOn: ['clean', 'enrich'] })
  .build();

export interface MetricsDemoOptions {
  /** Port of the /metrics server (0 picks a free one). Default 9464. */
  port?: number;
  /** Host of the /metrics server. Default '127.0.0.1'. */
  host?: string;
  /** Pause between runs in ms. Default 500. */
  intervalMs?: number;
}

export interface MetricsDemo {
  engine: Engine;
  metrics: Readonly<PrometheusPlugin>;
  /** The /metrics URL, e.g. http://127.0.0.1:9464/metrics. */
  url: string;
  /** Runs finished so far. */
  runs(): number;
  /** Stops the loop, waits for the run under way and closes the engine (and the /metrics server); idempotent. */
  stop(): Promise<void>;
}

/** Starts the engine with the Prometheus exporter serving /metrics and runs `etl` every `intervalMs` until stopped. */
export async function startMetricsDemo(options: MetricsDemoOptions = {}): Promise<MetricsDemo> {
  const metrics = prometheus({
    server: { host: options.host ?? '127.0.0.1', port: options.port ?? 9464 },
    staticLabels: { service: 'metrics-example' },
  });
  const engine = createEngine({ plugins: [metrics] });
  await engine.ready(); // the server listens once plugin setup is done
  const address = metrics.address();
  if (address === undefined) throw new Error('the /metrics server did not start');

  let stopped = false;
  let finished = 0;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      await engine.execute(etl, {}).catch(() => undefined); // a failed run is counted by the exporter too
      finished++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs ?? 500);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    engine,
    metrics,
    url: address.url,
    runs: () => finished,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        wake?.();
        await loop;
        await engine.close();
      })();
      return stopping;
    },
  };
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireBinary } from './find-binary.js';
import { httpOk } from './probes.js';
import { ServiceProcess, withFreePort } from './process.js';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';
import { createTempDir, removeTempDir } from './temp-dir.js';
import { waitUntilReady } from './wait-until-ready.js';

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** `host:port` targets scraped by the single job `flowlane-test`. */
  readonly scrapeTargets: readonly string[];
  /** Scrape (and rule evaluation) interval, a Prometheus duration. Default: `'1s'`. */
  readonly scrapeInterval?: string | undefined;
  /** Path scraped on every target. Default: `'/metrics'`. */
  readonly metricsPath?: string | undefined;
  /** How long to wait for `/-/ready`. Default: 15 000 ms. */
  readonly startupTimeoutMs?: number | undefined;
}

/** One element of an instant-query result. */
export interface PrometheusSample {
  /** Labels, including `__name__` when the query keeps it. */
  readonly metric: Readonly<Record<string, string>>;
  /** Sample value (`NaN`, `Infinity` and `-Infinity` included). */
  readonly value: number;
  /** Evaluation time in Unix seconds. */
  readonly timestamp: number;
}

/** Options of {@link PrometheusService.waitFor}. */
export interface PrometheusWaitOptions {
  /** Give up after this long. Default: 20 000 ms (the first scrape takes ~6 s). */
  readonly timeoutMs?: number | undefined;
  /** Pause between queries. Default: 250 ms. */
  readonly intervalMs?: number | undefined;
}

/** A running private Prometheus server. */
export interface PrometheusService extends ServiceHandle {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Private directory with the config and a fresh TSDB (removed on dispose). */
  readonly dir: string;
  /** Runs an instant query (`/api/v1/query`). Vector and scalar results become samples; others throw. */
  query(promql: string): Promise<PrometheusSample[]>;
  /**
   * Repeats `query(promql)` until `predicate(samples)` holds (default: at least one sample) and returns those
   * samples; throws after `timeoutMs` with the last result.
   */
  waitFor(
    promql: string,
    predicate?: ((samples: readonly PrometheusSample[]) => boolean) | undefined,
    options?: PrometheusWaitOptions | undefined,
  ): Promise<PrometheusSample[]>;
}

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown };
}

type RawValue = [number, string];

function parseValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/**
 * Starts a private `prometheus` on 127.0.0.1 and a random free port with a fresh data directory, scraping
 * `scrapeTargets`, and waits until `/-/ready` answers 200. Throws {@link ServiceUnavailableError} when prometheus
 * is not installed. The first sample of a target appears only after ~6 s (a hard-coded discovery delay): use
 * `waitFor` with its default 20 s timeout and give the test at least 40 s.
 *
 * @example
 * ```ts
 * import { startPrometheus } from '@flowlane/testing';
 *
 * await using prometheus = await startPrometheus({ scrapeTargets: ['127.0.0.1:9464'] });
 * const [sample] = await prometheus.waitFor('up{job="flowlane-test"}', (s) => s.some((x) => x.value === 1));
 * ```
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusService> {
  const binary = await requireBinary('prometheus', 'prometheus', 'prometheus');
  const host = '127.0.0.1';
  const interval = options.scrapeInterval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: 'flowlane-test',
        metrics_path: options.metricsPath ?? '/metrics',
        static_configs: [{ targets: [...options.scrapeTargets] }],
      },
    ],
  };

  return withFreePort(async (port) => {
    const dir = await createTempDir('prometheus');
    const url = `http://${host}:${port}`;
    let proc: ServiceProcess | undefined;
    const cleanup = async () => {
      await proc?.stop();
      await removeTempDir(dir);
    };
    try {
      const configPath = join(dir, 'prometheus.yml');
      // JSON is valid YAML and quotes every value safely.
      await writeFile(configPath, JSON.stringify(config, null, 2));
      proc = await ServiceProcess.spawn(
        'prometheus',
        binary,
        [
          `--config.file=${configPath}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=${host}:${port}`,
        ],
        { cwd: dir },
      );
      const started = proc;
      await waitUntilReady({
        service: 'prometheus',
        process: started,
        probe: () => httpOk(`${url}/-/ready`),
        timeoutMs: options.startupTimeoutMs ?? 15_000,
      });
    } catch (err) {
      await cleanup();
      throw err;
    }

    const query = async (promql: string): Promise<PrometheusSample[]> => {
      const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
        signal: AbortSignal.timeout(5000),
      });
      const body = (await response.json()) as QueryResponse;
      if (body.status !== 'success' || !body.data) {
        throw new Error(`Prometheus query ${JSON.stringify(promql)} failed: ${body.error ?? response.statusText}`);
      }
      const { resultType, result } = body.data;
      if (resultType === 'scalar') {
        const [timestamp, value] = result as RawValue;
        return [{ metric: {}, value: parseValue(value), timestamp }];
      }
      if (resultType !== 'vector') {
        throw new Error(`Prometheus query ${JSON.stringify(promql)} returned a ${resultType}; use an instant vector`);
      }
      return (result as { metric: Record<string, string>; value: RawValue }[]).map((r) => ({
        metric: r.metric,
        value: parseValue(r.value[1]),
        timestamp: r.value[0],
      }));
    };

    const waitFor: PrometheusService['waitFor'] = async (promql, predicate, waitOptions = {}) => {
      const check = predicate ?? ((samples) => samples.length > 0);
      const timeoutMs = waitOptions.timeoutMs ?? 20_000;
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer yet';
      for (;;) {
        try {
          const samples = await query(promql);
          if (check(samples)) return samples;
          last = JSON.stringify(samples);
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
        }
        if (Date.now() >= deadline) {
          throw new Error(
            `Prometheus: ${JSON.stringify(promql)} did not match within ${timeoutMs} ms; last result: ${last}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, waitOptions.intervalMs ?? 250));
      }
    };

    return createServiceHandle({ host, port, url, dir, query, waitFor }, cleanup);
  });
}

import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import type { Registry, RegistryContentType } from 'prom-client';
import { PrometheusMetricsError } from './errors.js';

/**
 * The per-event labels the exporter can attach; `allowedLabels` picks among them.
 *
 * @example
 * ```ts
 * import { type FlowLabel, prometheus } from '@flowlane/metrics-prometheus';
 * const labels: FlowLabel[] = ['workflow', 'status']; // no per-node series
 * prometheus({ allowedLabels: labels });
 * ```
 */
export type FlowLabel = 'workflow' | 'node' | 'status';

/**
 * Options of the optional `/metrics` HTTP server.
 *
 * @example
 * ```ts
 * import { prometheus } from '@flowlane/metrics-prometheus';
 * prometheus({ server: { port: 9464, host: '0.0.0.0' } });
 * ```
 */
export interface MetricsServerOptions {
  /** TCP port; `0` picks a free one (read it back with `plugin.address()`). */
  readonly port: number;
  /** Interface to listen on. Default `'127.0.0.1'`; use `'0.0.0.0'` to let a remote Prometheus scrape it. */
  readonly host?: string | undefined;
  /** Path answered with the exposition text. Default `'/metrics'`. */
  readonly path?: string | undefined;
}

/**
 * Options of the optional Pushgateway push (for short-lived batch processes).
 *
 * @example
 * ```ts
 * import { prometheus } from '@flowlane/metrics-prometheus';
 * prometheus({ pushgateway: { url: 'http://pushgateway:9091', jobName: 'nightly', groupings: { instance: 'a' } } });
 * ```
 */
export interface PushgatewayOptions {
  /** Base URL of the Pushgateway, e.g. `http://pushgateway:9091`. */
  readonly url: string;
  /** The `job` grouping key. Default `'flowlane'`. */
  readonly jobName?: string | undefined;
  /** More grouping keys (`/instance/<value>` …), e.g. `{ instance: hostname() }`. Default none. */
  readonly groupings?: Readonly<Record<string, string>> | undefined;
  /** `'pushAdd'` (HTTP POST: replaces metrics of the same name) or `'push'` (HTTP PUT: replaces the group). Default `'pushAdd'`. */
  readonly method?: 'push' | 'pushAdd' | undefined;
  /** Give up on one push after this many ms. Default 5000. */
  readonly timeoutMs?: number | undefined;
  /** Extra request headers (e.g. `Authorization`). Default none. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * Histogram buckets, in seconds.
 *
 * @example
 * ```ts
 * import { prometheus } from '@flowlane/metrics-prometheus';
 * prometheus({ buckets: { node: [0.01, 0.1, 1, 10], workflow: [1, 10, 60, 600] } });
 * ```
 */
export interface BucketOptions {
  /** Buckets of `<prefix>workflow_duration_seconds`. Default {@link DEFAULT_BUCKETS}. */
  readonly workflow?: readonly number[] | undefined;
  /** Buckets of `<prefix>node_duration_seconds`. Default {@link DEFAULT_BUCKETS}. */
  readonly node?: readonly number[] | undefined;
}

/**
 * Options of the `prometheus()` plugin. Every field is optional.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { type PrometheusOptions, prometheus } from '@flowlane/metrics-prometheus';
 *
 * const options: PrometheusOptions = { registry: new Registry(), prefix: 'jobs_', maxNodeIds: 20 };
 * prometheus(options);
 * ```
 */
export interface PrometheusOptions {
  /** Registry the metrics are registered in. Default: a new `Registry` (see `plugin.registry`). */
  readonly registry?: Registry<RegistryContentType> | undefined;
  /** Prefix of every metric name. Default `'flowlane_'`. */
  readonly prefix?: string | undefined;
  /** Histogram buckets in seconds. Default {@link DEFAULT_BUCKETS} for both histograms. */
  readonly buckets?: BucketOptions | undefined;
  /** Labels with fixed values added to every series, e.g. `{ service: 'billing' }`. Default none. */
  readonly staticLabels?: Readonly<Record<string, string>> | undefined;
  /** Which per-event labels to keep (label allow-list). Default `['workflow', 'node', 'status']`. */
  readonly allowedLabels?: readonly FlowLabel[] | undefined;
  /** Distinct workflow names kept as label values; later names become `other`. Default 50. */
  readonly maxWorkflows?: number | undefined;
  /** Distinct node ids kept per workflow; later ids become `other`. Default 100. */
  readonly maxNodeIds?: number | undefined;
  /** Serve the registry over HTTP (closed by `engine.close()`). Default: no server. */
  readonly server?: MetricsServerOptions | undefined;
  /** Push the registry to a Pushgateway whenever a run finishes, and once more on close. Default: no push. */
  readonly pushgateway?: PushgatewayOptions | undefined;
}

/**
 * Default histogram buckets (seconds): 5 ms to 1 h.
 *
 * @example
 * ```ts
 * import { DEFAULT_BUCKETS, prometheus } from '@flowlane/metrics-prometheus';
 * prometheus({ buckets: { workflow: [...DEFAULT_BUCKETS, 14_400] } }); // runs of up to 4 h
 * ```
 */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
]);

/** Internal: options with defaults applied and checked. */
export interface ResolvedOptions {
  readonly prefix: string;
  readonly workflowBuckets: readonly number[];
  readonly nodeBuckets: readonly number[];
  readonly staticLabels: Readonly<Record<string, string>>;
  readonly allowed: ReadonlySet<FlowLabel>;
  readonly maxWorkflows: number;
  readonly maxNodeIds: number;
  readonly server: { readonly port: number; readonly host: string; readonly path: string } | undefined;
  readonly pushgateway: ResolvedPushgateway | undefined;
}

/** Internal: Pushgateway options with defaults applied. */
export interface ResolvedPushgateway {
  readonly url: string;
  /** `url` with any user name and password replaced by `***`: the form that may be logged. */
  readonly displayUrl: string;
  readonly jobName: string;
  readonly groupings: Readonly<Record<string, string>>;
  readonly method: 'push' | 'pushAdd';
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>> | undefined;
}

const METRIC_PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['workflow', 'node', 'status', 'scheduler', 'le', 'quantile']);
const FLOW_LABELS: readonly FlowLabel[] = ['workflow', 'node', 'status'];

const invalid = (option: string, reason: string): never => {
  throw new PrometheusMetricsError('FL_PROMETHEUS_INVALID_OPTION', { option, reason });
};

function positiveInt(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) invalid(option, `expected an integer ≥ 1, got ${String(value)}`);
  return value;
}

function buckets(option: string, value: readonly number[] | undefined): readonly number[] {
  if (value === undefined) return DEFAULT_BUCKETS;
  if (!Array.isArray(value) || value.length === 0) return invalid(option, 'expected a non-empty array of seconds');
  for (let k = 0; k < value.length; k++) {
    const b = value[k];
    if (typeof b !== 'number' || !Number.isFinite(b) || b <= 0)
      invalid(option, `bucket ${String(b)} is not a positive finite number of seconds`);
    if (k > 0 && b! <= value[k - 1]!) invalid(option, 'buckets must be strictly increasing');
  }
  return Object.freeze([...value]);
}

const OPTION_KEYS = allKeys<PrometheusOptions>()([
  'registry',
  'prefix',
  'buckets',
  'staticLabels',
  'allowedLabels',
  'maxWorkflows',
  'maxNodeIds',
  'server',
  'pushgateway',
]);
const NESTED_KEYS = {
  buckets: allKeys<BucketOptions>()(['workflow', 'node']),
  server: allKeys<MetricsServerOptions>()(['port', 'host', 'path']),
  pushgateway: allKeys<PushgatewayOptions>()(['url', 'jobName', 'groupings', 'method', 'timeoutMs', 'headers']),
} as const;

/** Unknown keys (`prefx`, `server.prot`) throw `FL_PROMETHEUS_INVALID_OPTION` naming the closest known key. */
function rejectUnknownKeys(options: PrometheusOptions): void {
  const scopes: [unknown, readonly string[], string][] = [
    [options, OPTION_KEYS, ''],
    ...Object.entries(NESTED_KEYS).map(([k, keys]): [unknown, readonly string[], string] => [
      (options as Record<string, unknown>)[k],
      keys,
      `${k}.`,
    ]),
  ];
  for (const [value, known, prefix] of scopes) {
    const [u] = unknownKeys(value, known);
    if (u !== undefined) invalid(`${prefix}${u.key}`, `unknown option; ${unknownKeyHint(u, known)}`);
  }
}

/** Internal: applies defaults and checks every option; throws `FL_PROMETHEUS_INVALID_OPTION`. */
export function resolveOptions(options: PrometheusOptions): ResolvedOptions {
  rejectUnknownKeys(options);
  const prefix = options.prefix ?? 'flowlane_';
  if (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix))
    invalid(
      'prefix',
      `"${String(prefix)}" is not a valid start of a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`,
    );
  const staticLabels = { ...(options.staticLabels ?? {}) };
  for (const [name, value] of Object.entries(staticLabels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) invalid('staticLabels', `"${name}" is not a valid label name`);
    if (RESERVED_LABELS.has(name)) invalid('staticLabels', `"${name}" is used by the exporter itself`);
    if (typeof value !== 'string') invalid('staticLabels', `the value of "${name}" must be a string`);
  }
  const allowed = options.allowedLabels ?? FLOW_LABELS;
  if (!Array.isArray(allowed)) invalid('allowedLabels', 'expected an array');
  for (const l of allowed)
    if (!FLOW_LABELS.includes(l)) invalid('allowedLabels', `"${String(l)}" is not one of ${FLOW_LABELS.join(', ')}`);
  const server = options.server;
  if (server !== undefined) {
    if (!Number.isInteger(server.port) || server.port < 0 || server.port > 65535)
      invalid('server.port', `expected an integer in 0…65535, got ${String(server.port)}`);
    if (server.path !== undefined && !server.path.startsWith('/')) invalid('server.path', 'must start with "/"');
  }
  const push = options.pushgateway;
  /** The Pushgateway URL as it may be logged (parsed once, here). */
  let pushDisplayUrl = '';
  if (push !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(push.url);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      invalid(
        'pushgateway.url',
        url !== undefined
          ? `expected an http(s) URL, got ${withoutCredentials(String(push.url), url)}`
          : String(push.url).includes('@')
            ? 'expected an http(s) URL, got a value that does not parse as a URL'
            : `expected an http(s) URL, got ${String(push.url)}`,
      );
    else pushDisplayUrl = withoutCredentials(push.url, url);
    if (push.method !== undefined && push.method !== 'push' && push.method !== 'pushAdd')
      invalid('pushgateway.method', `expected "push" or "pushAdd", got ${String(push.method)}`);
    if (push.jobName !== undefined && (typeof push.jobName !== 'string' || push.jobName === ''))
      invalid('pushgateway.jobName', 'expected a non-empty string');
  }
  return {
    prefix,
    workflowBuckets: buckets('buckets.workflow', options.buckets?.workflow),
    nodeBuckets: buckets('buckets.node', options.buckets?.node),
    staticLabels: Object.freeze(staticLabels),
    allowed: new Set(allowed),
    maxWorkflows: positiveInt('maxWorkflows', options.maxWorkflows, 50),
    maxNodeIds: positiveInt('maxNodeIds', options.maxNodeIds, 100),
    server:
      server === undefined
        ? undefined
        : { port: server.port, host: server.host ?? '127.0.0.1', path: server.path ?? '/metrics' },
    pushgateway:
      push === undefined
        ? undefined
        : {
            url: push.url,
            displayUrl: pushDisplayUrl,
            jobName: push.jobName ?? 'flowlane',
            groupings: push.groupings ?? {},
            method: push.method ?? 'pushAdd',
            timeoutMs: positiveInt('pushgateway.timeoutMs', push.timeoutMs, 5000),
            headers: push.headers,
          },
  };
}

/** `text` (a URL) as given, or with its user name and password (basic auth in the URL) replaced by `***`. */
export function withoutCredentials(text: string, url: URL): string {
  if (url.username === '' && url.password === '') return text;
  const shown = new URL(url.href);
  if (shown.username !== '') shown.username = '***';
  if (shown.password !== '') shown.password = '***';
  return shown.href;
}

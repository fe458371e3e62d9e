import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import type { ClientOptions, StatsD } from 'hot-shots';
import { DatadogMetricsError } from './errors.js';

/**
 * The per-event tags the exporter can attach; `allowedTags` picks among them.
 *
 * @example
 * ```ts
 * import { datadog, type FlowTag } from '@flowlane/metrics-datadog';
 * const tags: FlowTag[] = ['workflow', 'status']; // no per-node series
 * datadog({ allowedTags: tags });
 * ```
 */
export type FlowTag = 'workflow' | 'node' | 'status';

/**
 * Options of the `datadog()` plugin. Every field is optional.
 *
 * @example
 * ```ts
 * import { type DatadogOptions, datadog } from '@flowlane/metrics-datadog';
 *
 * const options: DatadogOptions = { host: 'dd-agent', port: 8125, globalTags: { env: 'prod' }, sampleRate: 0.5 };
 * datadog(options);
 * ```
 */
export interface DatadogOptions {
  /** DogStatsD host. Default: `DD_AGENT_HOST`, else `'localhost'`. Ignored when `client` is given. */
  readonly host?: string | undefined;
  /** DogStatsD UDP port. Default: `DD_DOGSTATSD_PORT`, else 8125. Ignored when `client` is given. */
  readonly port?: number | undefined;
  /** Prefix of every metric name. Default `'flowlane.'`. */
  readonly prefix?: string | undefined;
  /** Tags added to every metric, e.g. `{ env: 'prod' }` or `['env:prod']`. Default none. */
  readonly globalTags?: Readonly<Record<string, string>> | readonly string[] | undefined;
  /** Which per-event tags to keep (tag allow-list). Default `['workflow', 'node', 'status']`. */
  readonly allowedTags?: readonly FlowTag[] | undefined;
  /** Fraction (0, 1] of duration values sent, marked `|@rate` so the agent scales them. Counts are always exact. Default 1. */
  readonly sampleRate?: number | undefined;
  /** Send durations as `'timing'` (`|ms`) or `'distribution'` (`|d`, server-side percentiles). Default `'timing'`. */
  readonly durationType?: 'timing' | 'distribution' | undefined;
  /** How often (ms, wall clock) aggregated values are sent; also sent on `engine.close()`. Default 1000. */
  readonly flushInterval?: number | undefined;
  /** At most this many duration values per series and flush; beyond, a uniform random sample. Default 1000. */
  readonly maxDurationSamples?: number | undefined;
  /** Datagram size (bytes) the client packs lines into; 0 sends one datagram per line. Default 1432. */
  readonly maxBufferSize?: number | undefined;
  /** Distinct workflow names kept as tag values; later names become `other`. Default 50. */
  readonly maxWorkflows?: number | undefined;
  /** Distinct node ids kept per workflow; later ids become `other`. Default 100. */
  readonly maxNodeIds?: number | undefined;
  /** Use this hot-shots client instead of creating one (it is flushed on close, never closed). Default: a new one. */
  readonly client?: StatsD | undefined;
  /** More hot-shots options for the client the plugin creates (`protocol`, `path`, `cacheDns`, …). Default none. */
  readonly clientOptions?: ClientOptions | undefined;
}

/** Internal: options with defaults applied and checked. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly prefix: string;
  readonly globalTags: readonly string[];
  readonly allowed: ReadonlySet<FlowTag>;
  readonly sampleRate: number;
  readonly durationType: 'timing' | 'distribution';
  readonly flushInterval: number;
  readonly maxDurationSamples: number;
  readonly maxBufferSize: number;
  readonly maxWorkflows: number;
  readonly maxNodeIds: number;
}

const FLOW_TAGS: readonly FlowTag[] = ['workflow', 'node', 'status'];
const NAME_PREFIX = /^[a-zA-Z0-9_.]*$/;

const invalid = (option: string, reason: string): never => {
  throw new DatadogMetricsError('FL_DATADOG_INVALID_OPTION', { option, reason });
};

function int(option: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) invalid(option, `expected an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

/** Internal: makes a tag value safe for the DogStatsD line protocol (`|`, `,`, `#` and line breaks become `_`). */
export function tagValue(value: string): string {
  return value.replace(/[|,#\r\n]/g, '_');
}

const OPTION_KEYS = allKeys<DatadogOptions>()([
  'host',
  'port',
  'prefix',
  'globalTags',
  'allowedTags',
  'sampleRate',
  'durationType',
  'flushInterval',
  'maxDurationSamples',
  'maxBufferSize',
  'maxWorkflows',
  'maxNodeIds',
  'client',
  'clientOptions',
]);

/** Internal: applies defaults (and the agent's environment variables) and checks every option. */
export function resolveOptions(
  options: DatadogOptions,
  env: Readonly<Record<string, string | undefined>>,
): ResolvedOptions {
  const [unknown] = unknownKeys(options, OPTION_KEYS);
  if (unknown !== undefined) invalid(unknown.key, `unknown option; ${unknownKeyHint(unknown, OPTION_KEYS)}`);
  const prefix = options.prefix ?? 'flowlane.';
  if (typeof prefix !== 'string' || !NAME_PREFIX.test(prefix))
    invalid('prefix', `"${String(prefix)}" may only hold letters, digits, "_" and "."`);
  let port = options.port;
  if (port === undefined && env.DD_DOGSTATSD_PORT !== undefined && env.DD_DOGSTATSD_PORT !== '') {
    port = Number(env.DD_DOGSTATSD_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      invalid('port', `DD_DOGSTATSD_PORT="${env.DD_DOGSTATSD_PORT}" is not a port number`);
  }
  port ??= 8125;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    invalid('port', `expected an integer in 1…65535, got ${String(port)}`);
  const host = options.host ?? (env.DD_AGENT_HOST || undefined) ?? 'localhost';
  if (typeof host !== 'string' || host === '') invalid('host', 'expected a non-empty string');
  const raw = options.globalTags ?? [];
  const globalTags = Array.isArray(raw)
    ? raw.map((t) => (typeof t === 'string' ? tagValue(t) : invalid('globalTags', 'tags must be strings')))
    : Object.entries(raw).map(([k, v]) =>
        typeof v === 'string'
          ? `${tagValue(k)}:${tagValue(v)}`
          : invalid('globalTags', `the value of "${k}" must be a string`),
      );
  for (const t of globalTags) {
    const key = t.includes(':') ? t.slice(0, t.indexOf(':')) : t;
    if ((FLOW_TAGS as readonly string[]).includes(key))
      invalid('globalTags', `"${key}" is set by the exporter itself; use allowedTags to drop it`);
  }
  const allowed = options.allowedTags ?? FLOW_TAGS;
  if (!Array.isArray(allowed)) invalid('allowedTags', 'expected an array');
  for (const t of allowed)
    if (!FLOW_TAGS.includes(t)) invalid('allowedTags', `"${String(t)}" is not one of ${FLOW_TAGS.join(', ')}`);
  const sampleRate = options.sampleRate ?? 1;
  if (typeof sampleRate !== 'number' || !(sampleRate > 0 && sampleRate <= 1))
    invalid('sampleRate', `expected a number in (0, 1], got ${String(sampleRate)}`);
  const durationType = options.durationType ?? 'timing';
  if (durationType !== 'timing' && durationType !== 'distribution')
    invalid('durationType', `expected "timing" or "distribution", got ${String(durationType)}`);
  return {
    host,
    port,
    prefix,
    globalTags,
    allowed: new Set(allowed),
    sampleRate,
    durationType,
    flushInterval: int('flushInterval', options.flushInterval, 1000, 1),
    maxDurationSamples: int('maxDurationSamples', options.maxDurationSamples, 1000, 1),
    maxBufferSize: int('maxBufferSize', options.maxBufferSize, 1432, 0),
    maxWorkflows: int('maxWorkflows', options.maxWorkflows, 50, 1),
    maxNodeIds: int('maxNodeIds', options.maxNodeIds, 100, 1),
  };
}

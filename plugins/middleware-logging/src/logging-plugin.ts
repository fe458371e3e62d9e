import {
  allKeys,
  definePlugin,
  type FlowEvent,
  FlowlaneError,
  type FlowlanePlugin,
  Tokens,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import {
  createLoggingMiddleware,
  type LoggingData,
  type LoggingFilter,
  type LoggingLevels,
  resolveLevels,
  write,
} from './logging-middleware.js';
import { fromFlowlaneLogger, type PinoLikeLogger } from './pino-like-logger.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link logging} plugin. */
export interface LoggingOptions {
  /** Where lines go: a pino logger or anything pino-compatible. Default: the engine's logger (`api.logger`). */
  readonly logger?: PinoLikeLogger | undefined;
  /** Levels of start, end and failure lines (`'silent'` drops them). Default `{ start: 'debug', end: 'info', failure: 'error' }`. */
  readonly levels?: LoggingLevels | undefined;
  /** Log node inputs and/or outputs, redacted by the engine (`true` = both). Default `false`. */
  readonly data?: boolean | LoggingData | undefined;
  /** Forward `node.log` events (`ctx.log` lines, already redacted) to the logger. Default `true`. */
  readonly nodeLogs?: boolean | undefined;
  /** Write `workflow started/completed/failed/cancelled` lines from the engine's (redacted) events. Default `true`. */
  readonly runs?: boolean | undefined;
  /** Only nodes for which this returns true get start/end/failure lines. Default: every node. */
  readonly filter?: LoggingFilter | undefined;
  /** Fields added to every line, e.g. `{ service: 'deployer' }`. Default `{}`. */
  readonly bindings?: Readonly<Record<string, unknown>> | undefined;
  /** Time source in ms for durations. Default: the engine clock (`Tokens.Clock`), so virtual time works. */
  readonly now?: (() => number) | undefined;
}

const OPTION_KEYS = allKeys<LoggingOptions>()([
  'logger',
  'levels',
  'data',
  'nodeLogs',
  'runs',
  'filter',
  'bindings',
  'now',
]);
const LEVEL_KEYS = allKeys<LoggingLevels>()(['start', 'end', 'failure']);
const DATA_KEYS = allKeys<LoggingData>()(['input', 'output']);

/** Unknown keys (a typo such as `levl`) throw `FL_INVALID_OPTION` naming the closest known key. */
function checkKeys(options: LoggingOptions): void {
  const scopes = [
    [options, OPTION_KEYS, ''],
    [options.levels, LEVEL_KEYS, 'levels.'],
    [options.data, DATA_KEYS, 'data.'],
  ] as const;
  for (const [value, known, prefix] of scopes) {
    const [u] = unknownKeys(value, known);
    if (u !== undefined)
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: '@flowlane/middleware-logging',
        option: `${prefix}${u.key}`,
        reason: `unknown option; ${unknownKeyHint(u, known)}`,
      });
  }
}

/**
 * Structured per-node logs: a `node started` line before every attempt and `node completed` / `node failed` after
 * it, with `executionId`, `workflow`, `nodeId`, `attempt` and `durationMs`; optionally run lines, `ctx.log` lines
 * and (redacted) node data. Redaction-safe: nothing the engine would redact reaches the logger.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { createEngine } from '@flowlane/core';
 * import { logging } from '@flowlane/middleware-logging';
 *
 * const engine = createEngine({ plugins: [logging({ logger: pino({ level: 'debug' }) })] });
 * ```
 */
export function logging(options: LoggingOptions = {}): Readonly<FlowlanePlugin> {
  checkKeys(options);
  const data: LoggingData =
    options.data === true ? { input: true, output: true } : options.data === false ? {} : (options.data ?? {});
  return definePlugin({
    name: '@flowlane/middleware-logging',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const logger = options.logger ?? fromFlowlaneLogger(api.logger);
      const clock = api.container.resolve(Tokens.Clock);
      const now = options.now ?? (() => clock.now());
      const bindings = options.bindings ?? {};
      api.middleware.use(
        createLoggingMiddleware({ logger, now, levels: options.levels, data, filter: options.filter, bindings }),
      );
      const nodeLogs = options.nodeLogs ?? true;
      const runs = options.runs ?? true;
      if (!nodeLogs && !runs) return;
      const levels = resolveLevels(options.levels);
      const sub = api.events$.subscribe((e: FlowEvent) => {
        const ids = {
          ...bindings,
          executionId: e.executionId,
          workflow: e.workflow,
          ...(e.parentExecutionId === undefined ? {} : { parentExecutionId: e.parentExecutionId }),
        };
        switch (e.type) {
          case 'node.log':
            if (nodeLogs) logger[e.level]({ ...e.fields, ...ids, nodeId: e.nodeId }, e.message);
            break;
          case 'workflow.started':
            if (runs) write(logger, levels.start, { ...ids, nodeCount: e.nodeCount }, 'workflow started');
            break;
          case 'workflow.completed':
            if (runs) write(logger, levels.end, { ...ids, durationMs: e.durationMs }, 'workflow completed');
            break;
          case 'workflow.failed':
            if (runs)
              write(
                logger,
                levels.failure,
                {
                  ...ids,
                  durationMs: e.durationMs,
                  ...(e.nodeId === undefined ? {} : { nodeId: e.nodeId }),
                  error: { name: e.error.name, code: e.error.code, message: e.error.message },
                },
                'workflow failed',
              );
            break;
          case 'workflow.cancelled':
            if (runs)
              write(
                logger,
                levels.failure,
                { ...ids, durationMs: e.durationMs, reason: e.reason },
                'workflow cancelled',
              );
            break;
          default:
            break;
        }
      });
      return () => sub.unsubscribe();
    },
  });
}

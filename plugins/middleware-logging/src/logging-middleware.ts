import { errorCodeOf, type Middleware, type MiddlewareContext, type NodeDescription } from '@flowlane/core';
import type { LogLevel, PinoLikeLogger } from './pino-like-logger.js';

/** A level, or `'silent'` to drop that kind of line. */
export type LineLevel = LogLevel | 'silent';

/** Levels of the lines this plugin writes. */
export interface LoggingLevels {
  /** `node started` and `workflow started`. Default `'debug'`. */
  readonly start?: LineLevel | undefined;
  /** `node completed` and `workflow completed`. Default `'info'`. */
  readonly end?: LineLevel | undefined;
  /** `node failed`, `workflow failed` and `workflow cancelled`. Default `'error'`. */
  readonly failure?: LineLevel | undefined;
}

/** Which node data to log (as redacted `node.log` events, see the README). */
export interface LoggingData {
  /** The node's input: the outputs of the nodes it depends on, by id (nodes without dependencies have none). Default false. */
  readonly input?: boolean | undefined;
  /** The node's output. Default false. */
  readonly output?: boolean | undefined;
}

/** Selects the nodes that get lines. */
export type LoggingFilter = (node: {
  readonly workflow: string;
  readonly nodeId: string;
  readonly node: NodeDescription;
}) => boolean;

/** What {@link createLoggingMiddleware} needs. */
export interface LoggingMiddlewareOptions {
  readonly logger: PinoLikeLogger;
  /** Time in ms (the engine clock's `now`). */
  readonly now: () => number;
  readonly levels?: LoggingLevels | undefined;
  readonly data?: LoggingData | undefined;
  readonly filter?: LoggingFilter | undefined;
  /** Fields added to every line. */
  readonly bindings?: Readonly<Record<string, unknown>> | undefined;
}

/** Resolved levels (defaults applied). */
export function resolveLevels(levels: LoggingLevels | undefined): Required<{ [K in keyof LoggingLevels]: LineLevel }> {
  return { start: levels?.start ?? 'debug', end: levels?.end ?? 'info', failure: levels?.failure ?? 'error' };
}

/** Writes one line at `level` unless it is `'silent'`. */
export function write(logger: PinoLikeLogger, level: LineLevel, fields: Record<string, unknown>, msg: string): void {
  if (level !== 'silent') logger[level](fields, msg);
}

const maxAttemptsOf = (node: NodeDescription): number | undefined => {
  const retry = node.options.retry as { maxAttempts?: unknown } | undefined;
  return typeof retry?.maxAttempts === 'number' ? retry.maxAttempts : undefined;
};

const parentsOf = (ctx: MiddlewareContext): Record<string, unknown> => {
  // Null prototype: a dependency may be called `__proto__`.
  const input = Object.create(null) as Record<string, unknown>;
  for (const id of ctx.node.dependsOn) input[id] = ctx.results[id];
  return input;
};

/**
 * The middleware behind the {@link logging} plugin: one `node started` line before each attempt, then `node completed`
 * or `node failed` with the attempt's duration. Failure lines carry the error's name and code only — its message
 * may hold secrets and middleware sees errors before the engine redacts them (the redacted message is on the
 * `node.failed` event). Inputs and outputs are never written to the logger directly: with `data`, they go through
 * `ctx.log`, so the engine redacts them into `node.log` events.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createLoggingMiddleware } from '@flowlane/middleware-logging';
 * import { pino } from 'pino';
 *
 * const mw = createLoggingMiddleware({ logger: pino(), now: () => performance.now() });
 * const engine = createEngine({ middleware: [mw] });
 * ```
 */
export function createLoggingMiddleware(options: LoggingMiddlewareOptions): Middleware {
  const { logger, now, filter } = options;
  const levels = resolveLevels(options.levels);
  const bindings = options.bindings ?? {};
  const logInput = options.data?.input === true;
  const logOutput = options.data?.output === true;
  return async (ctx, next) => {
    if (filter !== undefined && !filter({ workflow: ctx.workflow, nodeId: ctx.nodeId, node: ctx.node })) return next();
    const maxAttempts = maxAttemptsOf(ctx.node);
    const base = {
      ...bindings,
      executionId: ctx.executionId,
      workflow: ctx.workflow,
      nodeId: ctx.nodeId,
      attempt: ctx.attempt,
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
    };
    write(logger, levels.start, base, 'node started');
    if (logInput && ctx.node.dependsOn.length > 0) ctx.log.debug('node input', { input: parentsOf(ctx) });
    const t0 = now();
    let output: unknown;
    try {
      output = await next();
    } catch (error) {
      const code = errorCodeOf(error);
      const name = error instanceof Error ? error.name : typeof error;
      write(
        logger,
        levels.failure,
        { ...base, durationMs: now() - t0, error: code === undefined ? { name } : { name, code } },
        'node failed',
      );
      throw error;
    }
    write(logger, levels.end, { ...base, durationMs: now() - t0 }, 'node completed');
    if (logOutput) ctx.log.debug('node output', { output });
    return output;
  };
}

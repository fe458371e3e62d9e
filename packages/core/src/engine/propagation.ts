/* Internal: asks the engine's context propagators (observability plugins) for a node attempt's carrier and env, and
   for the context a run was asked for in. */
import { AsyncResource } from 'node:async_hooks';
import type {
  ContextPropagator,
  PropagatedOutcome,
  PropagationCarrier,
  PropagationScope,
  RunPropagationScope,
} from '../plugin/contracts/propagation.js';
import type { ExecOptions, Logger } from '../plugin/types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function ask<T>(
  logger: Logger,
  p: ContextPropagator,
  what: string,
  fn: () => Readonly<Record<string, T>> | undefined,
): [string, T][] {
  try {
    const out = fn();
    return out === undefined || out === null || typeof out !== 'object' ? [] : Object.entries(out);
  } catch (e) {
    logger.warn('context propagator failed; the attempt runs without its context', {
      propagator: p.name,
      what,
      error: e instanceof Error ? e.message : String(e),
    });
    return [];
  }
}

/** The merged carrier fields of every propagator (later ones win a shared key); `{}` when none. */
export function propagationCarrier(
  propagators: readonly ContextPropagator[],
  scope: PropagationScope,
  logger: Logger,
): PropagationCarrier {
  const out: Record<string, string> = {};
  for (const p of propagators) {
    if (typeof p.carrier !== 'function') continue;
    for (const [k, v] of ask(logger, p, 'carrier', () => p.carrier?.(scope))) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * `options` with the propagators' variables added to the node's own `env`. The node wins: a propagator whose variables
 * the node sets itself (even one of them, e.g. its own `TRACEPARENT`) adds none, so a context is never mixed from two
 * sources. Invalid names and non-string values are dropped. Returns `options` itself when there is nothing to add.
 */
export function withPropagatedEnv<O extends Pick<ExecOptions, 'env'>>(
  propagators: readonly ContextPropagator[],
  scope: PropagationScope,
  logger: Logger,
  options: O | undefined,
): O | undefined {
  let added: Record<string, string> | undefined;
  const own = options?.env ?? {};
  for (const p of propagators) {
    if (typeof p.env !== 'function') continue;
    const vars = ask(logger, p, 'env', () => p.env?.(scope)).filter(
      ([k, v]) => typeof v === 'string' && ENV_NAME.test(k) && !v.includes('\0'),
    );
    if (vars.some(([k]) => Object.hasOwn(own, k))) continue;
    for (const [k, v] of vars) (added ??= {})[k] = v as string;
  }
  if (added === undefined) return options;
  return { ...(options ?? ({} as O)), env: { ...added, ...(options?.env ?? {}) } };
}

/**
 * Runs a remote attempt inside every propagator's `runRemote` (the first one outermost). `run` is called exactly once
 * even when a propagator misbehaves (throws, never calls it, or calls it twice), and its outcome is returned.
 */
export function runWithinPropagators(
  propagators: readonly ContextPropagator[],
  scope: PropagationScope,
  carrier: PropagationCarrier,
  logger: Logger,
  run: () => Promise<PropagatedOutcome>,
): Promise<PropagatedOutcome> {
  let inner = run;
  for (let n = propagators.length - 1; n >= 0; n--) {
    const p = propagators[n]!;
    if (typeof p.runRemote !== 'function') continue;
    const next = inner;
    inner = () => {
      let started: Promise<PropagatedOutcome> | undefined;
      const once = () => (started ??= next());
      try {
        // The node's own outcome is what counts, whatever the propagator resolves with.
        return Promise.resolve(p.runRemote!(scope, carrier, once)).then(once, (e: unknown) => {
          logger.warn('context propagator failed around a remote attempt', {
            propagator: p.name,
            error: e instanceof Error ? e.message : String(e),
          });
          return once();
        });
      } catch (e) {
        logger.warn('context propagator failed around a remote attempt', {
          propagator: p.name,
          error: e instanceof Error ? e.message : String(e),
        });
        return once();
      }
    };
  }
  return inner();
}

/**
 * Where a top-level run was asked for (see `RunOrigin`), kept with the run until it starts. Internal: propagators
 * get it back through `runStarting`. A run without one (a schedule, a trigger on another run's end, `resume: 'auto'`,
 * or no propagator captured anything) is announced with `{}`.
 */
export interface CapturedOrigin {
  /** What each propagator's `captureRun` returned, in the order of the engine's propagators. */
  readonly values?: readonly unknown[] | undefined;
  /** A run taken from the run queue: the fields its enqueuer sent. */
  readonly carrier?: PropagationCarrier | undefined;
  /** A run continued from its log: the `runContext` fields recorded when it first started. */
  readonly started?: PropagationCarrier | undefined;
  /**
   * Asked for before plugins were set up (no propagator registered yet): the caller's async context, in which the
   * propagators capture once the run starts.
   */
  readonly pending?: AsyncResource | undefined;
}

function captureValues(propagators: readonly ContextPropagator[], logger: Logger): unknown[] | undefined {
  let values: unknown[] | undefined;
  for (let k = 0; k < propagators.length; k++) {
    const p = propagators[k]!;
    if (typeof p.captureRun !== 'function') continue;
    try {
      const v = p.captureRun();
      if (v !== undefined) (values ??= new Array<unknown>(propagators.length))[k] = v;
    } catch (e) {
      logger.warn('context propagator failed to capture the caller of a run; the run starts without it', {
        propagator: p.name,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  return values;
}

/**
 * The caller's context for a run asked for now (`engine.run`, `engine.resume`, a trigger's event), synchronously.
 * `undefined` when no propagator captures anything (the common case: no observability plugin). Before plugin setup
 * finished the propagators are not known yet: the caller's async context is kept instead.
 */
export function captureRunOrigin(
  propagators: readonly ContextPropagator[],
  logger: Logger,
  ready: boolean,
): CapturedOrigin | undefined {
  if (!ready) return { pending: new AsyncResource('flowlane.run-origin') };
  if (propagators.length === 0) return undefined;
  const values = captureValues(propagators, logger);
  return values === undefined ? undefined : { values };
}

/** `engine.enqueue`: the caller's context as the merged `runCarrier` fields of every propagator (`{}` when none). */
export function runOriginCarrier(propagators: readonly ContextPropagator[], logger: Logger): PropagationCarrier {
  const out: Record<string, string> = {};
  for (const p of propagators) {
    if (typeof p.runCarrier !== 'function') continue;
    for (const [k, v] of ask(logger, p, 'runCarrier', () => p.runCarrier?.())) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** A new durable run's own context: the merged `runContext` fields of every propagator (`{}` when none). */
export function runContextCarrier(
  propagators: readonly ContextPropagator[],
  run: RunPropagationScope,
  at: number,
  logger: Logger,
): PropagationCarrier {
  const out: Record<string, string> = {};
  for (const p of propagators) {
    if (typeof p.runContext !== 'function') continue;
    for (const [k, v] of ask(logger, p, 'runContext', () => p.runContext?.(run, at)))
      if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Tells every propagator a top-level run is starting (right before its `workflow.started`), with its origin. */
export function announceRunStart(
  propagators: readonly ContextPropagator[],
  run: RunPropagationScope,
  origin: CapturedOrigin | undefined,
  logger: Logger,
): void {
  let values = origin?.values;
  const pending = origin?.pending;
  if (pending !== undefined) values = pending.runInAsyncScope(() => captureValues(propagators, logger));
  const carrier = origin?.carrier;
  const started = origin?.started;
  for (let k = 0; k < propagators.length; k++) {
    const p = propagators[k]!;
    if (typeof p.runStarting !== 'function') continue;
    const captured = values?.[k];
    try {
      p.runStarting(run, {
        ...(captured === undefined ? {} : { captured }),
        ...(carrier === undefined ? {} : { carrier }),
        ...(started === undefined ? {} : { started }),
      });
    } catch (e) {
      logger.warn('context propagator failed when a run started; the run starts without its context', {
        propagator: p.name,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
}

/* Internal: asks the engine's context propagators (observability plugins) for a node attempt's carrier and env. */
import type {
  ContextPropagator,
  PropagatedOutcome,
  PropagationCarrier,
  PropagationScope,
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

import { isObservable, lastValueFrom } from 'rxjs';
import { invokerFor } from '../compile/node-plan.js';
import { toObservable } from '../compile/to-observable.js';
import { FlowlaneError, type SerializedError } from '../errors.js';
import type { Actor, PropagationCarrier } from '../plugin/types.js';
import { internalsOf, type Workflow } from '../workflow.js';
import type { Engine } from './engine.js';
import { runWithinPropagators } from './propagation.js';
import { RemoteNodeContext } from './remote-node-context.js';
import { runtimeOf } from './runtime-registry.js';

/** One node attempt to run outside its run's engine (on a worker), as {@link runNodeOnWorker} takes it. */
export interface RemoteNodeRequest {
  readonly executionId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly input: unknown;
  /** The results of the node's dependencies (what `ctx.results` shows). */
  readonly results: Readonly<Record<string, unknown>>;
  readonly actor?: Actor | undefined;
  /**
   * Aborted when the run is cancelled or the attempt times out on the coordinator. Read only when the node reads
   * `ctx.signal` or runs a command (`ctx.exec`), so it may be a getter that makes the signal then (an `AbortController`
   * per job costs more than most trivial nodes; a worker whose node never looks need not make one).
   */
  readonly signal: AbortSignal;
  /** `ctx.workerId` and the default executor target. */
  readonly workerId?: string | undefined;
  /** A log line of the node, already redacted (the worker's secrets and `redact.also` values). */
  readonly onLog?: ((level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: unknown) => void) | undefined;
  /** A `ctx.emitEvent(name, payload)` call, the payload already redacted. */
  readonly onEvent?: ((name: string, payload: unknown) => void) | undefined;
  /**
   * The coordinator's context for this attempt (`api.propagation.carrier()` there, e.g. W3C trace context), sent with
   * the job. The worker engine's context propagators run the node inside it. Default `{}`.
   */
  readonly carrier?: PropagationCarrier | undefined;
}

/** What {@link runNodeOnWorker} settles with: the node's value, or its error serialised and redacted. */
export type RemoteNodeOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError };

/**
 * Run one node's behaviour (task or forEach) of `workflow` on `engine` — a worker's engine, with the worker's
 * executors, secrets providers and container — with a context rebuilt from `request`: `input`, the dependency
 * `results`, `actor`, `attempt`, `signal`, `log` and `emitEvent` (forwarded through the callbacks, redacted), `exec`
 * (the engine's executors, killed when `signal` aborts), `getSecret` / `markSecret` (the engine's providers; values are
 * redacted from logs, events and the error). Retries, timeouts, caching and events stay with the coordinator's run.
 * `ctx.storage`, `waitForEvent`, `waitForSignal` and `getEvent` need the run's engine and throw
 * `FL_INVALID_OPTION` here; subworkflow nodes cannot run on a worker.
 *
 * @example
 * ```ts
 * import { createEngine, runNodeOnWorker, workflow } from '@flowlane/core';
 *
 * const wf = workflow('ci').input<{ ref: string }>().addNode('build', (ctx) => `built ${ctx.input.ref}`).build();
 * const engine = createEngine(); // the worker's engine
 * const signal = new AbortController().signal;
 * const input = { ref: 'main' };
 * const out = await runNodeOnWorker(engine, wf, { executionId: 'run-1', nodeId: 'build', attempt: 1, input, results: {}, signal });
 * if (out.ok) console.log(out.value); // built main
 * await engine.close();
 * ```
 */
export async function runNodeOnWorker(
  engine: Engine,
  workflow: Workflow<unknown, object>,
  request: RemoteNodeRequest,
): Promise<RemoteNodeOutcome> {
  const rt = runtimeOf(engine);
  if (rt === undefined)
    throw new FlowlaneError('FL_INVALID_OPTION', {
      option: 'engine',
      reason: 'expected an engine made by createEngine()',
    });
  const { graph } = internalsOf(workflow);
  const i = graph.index.get(request.nodeId) ?? -1;
  if (i < 0)
    throw new FlowlaneError('FL_INVALID_OPTION', {
      option: 'nodeId',
      reason: `workflow "${workflow.name}" has no node "${request.nodeId}"`,
    });
  const def = graph.defs[i]!;
  if (def.kind === 'subworkflow')
    throw new FlowlaneError('FL_INVALID_OPTION', {
      nodeId: def.id,
      option: 'runOn',
      reason: 'a subworkflow node runs on its coordinator; remove runOn or use runOn: "local"',
    });
  // Built lazily: a node that only reads its input and results costs one small object.
  const ctx = new RemoteNodeContext(rt, workflow.name, def, request);
  const run = async (): Promise<RemoteNodeOutcome> => {
    try {
      const r = invokerFor(def)(ctx, undefined);
      // A value or a promise needs no observable around it (most nodes); an observable gives its last value.
      const value = isObservable(r) ? await lastValueFrom(toObservable(r), { defaultValue: undefined }) : await r;
      return { ok: true, value };
    } catch (e) {
      return { ok: false, error: RemoteNodeContext.redactorOf(ctx).error(e) };
    }
  };
  // Without a propagator that wraps remote attempts there is nothing to run inside.
  if (!rt.propagators.some((p) => typeof p.runRemote === 'function')) return run();
  const carrier = request.carrier !== null && typeof request.carrier === 'object' ? request.carrier : {};
  return runWithinPropagators(
    rt.propagators,
    RemoteNodeContext.scopeOf(ctx),
    carrier,
    rt.logger,
    run,
  ) as Promise<RemoteNodeOutcome>;
}

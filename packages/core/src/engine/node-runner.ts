import { isObservable, lastValueFrom } from 'rxjs';
import type { AuditInput, ExecFn, NodeContext } from '../builder/types.js';
import { invokerFor } from '../compile/node-plan.js';
import { toObservable } from '../compile/to-observable.js';
import { FlowlaneError, type SerializedError } from '../errors.js';
import { validateExecArgs } from '../executor/validate-exec-args.js';
import type { Actor, ExecOptions, ExecutionStorage, NodeLogger, PropagationCarrier } from '../plugin/types.js';
import { Redactor } from '../runtime/redactor.js';
import { internalsOf, type Workflow } from '../workflow.js';
import type { Engine } from './engine.js';
import { runWithinPropagators, withPropagatedEnv } from './propagation.js';
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
  /** Aborted when the run is cancelled or the attempt times out on the coordinator. */
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
 * const out = await runNodeOnWorker(engine, wf, { executionId, nodeId: 'build', attempt: 1, input, results: {}, signal });
 * if (out.ok) console.log(out.value);
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
  const redactor = new Redactor();
  for (const v of rt.redactAlso) redactor.add(v);
  const nodeId = def.id;
  const scope = {
    executionId: request.executionId,
    workflow: workflow.name,
    nodeId,
    attempt: request.attempt,
    ...(request.workerId === undefined ? {} : { workerId: request.workerId }),
  };
  const unsupported = (what: string) =>
    new FlowlaneError('FL_INVALID_OPTION', {
      nodeId,
      option: what,
      reason: 'not available to a node running on a remote worker; run the node with runOn: "local"',
    });
  const logAt =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void =>
      request.onLog?.(
        level,
        redactor.string(String(message)),
        fields === undefined ? undefined : redactor.value(fields),
      );
  const log: NodeLogger = { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') };
  const executorFor = (explicit?: string) => {
    const sel = def.options.executor;
    const name = sel === undefined ? 'local' : typeof sel === 'string' ? sel : sel.name;
    const executor = rt.executors.get(name);
    if (executor === undefined)
      throw new FlowlaneError('FL_EXECUTOR_NOT_FOUND', { nodeId, executor: name, available: [...rt.executors.keys()] });
    const target = explicit ?? (typeof sel === 'object' ? sel.target : undefined) ?? request.workerId;
    return { executor, target };
  };
  const handle = (command: string, options?: Omit<ExecOptions, 'signal'>) => {
    validateExecArgs(nodeId, command, options);
    const { executor, target } = executorFor(options?.target);
    return executor.exec(command, {
      ...withPropagatedEnv(rt.propagators, scope, rt.logger, options),
      signal: request.signal,
      executionId: request.executionId,
      nodeId,
      ...(target === undefined ? {} : { target }),
    });
  };
  const exec = ((command: string, options?: Omit<ExecOptions, 'signal'>) => {
    try {
      return handle(command, options).result;
    } catch (e) {
      return Promise.reject(e);
    }
  }) as ExecFn;
  exec.stream = handle;
  const ctx: NodeContext = {
    input: request.input,
    results: request.results,
    executionId: request.executionId,
    workflow: workflow.name,
    nodeId,
    attempt: request.attempt,
    idempotencyKey: `${request.executionId}:${nodeId}`,
    signal: request.signal,
    log,
    actor: request.actor,
    workerId: request.workerId,
    emitEvent(name: string, payload?: unknown) {
      if (typeof name !== 'string' || name === '')
        throw new FlowlaneError('FL_INVALID_OPTION', {
          nodeId,
          option: 'emitEvent name',
          reason: 'expected a non-empty string',
        });
      request.onEvent?.(name, redactor.value(payload));
    },
    getEvent() {
      throw unsupported('getEvent');
    },
    waitForEvent() {
      return Promise.reject(unsupported('waitForEvent'));
    },
    waitForSignal() {
      return Promise.reject(unsupported('waitForSignal'));
    },
    get storage(): ExecutionStorage {
      throw unsupported('storage');
    },
    async getSecret(name: string) {
      for (const p of rt.secrets) {
        const v = await p.get(name);
        if (v !== undefined) {
          redactor.add(v);
          return v;
        }
      }
      throw new FlowlaneError('FL_SECRET_NOT_FOUND', { name, providers: rt.secrets.map((p) => p.name) });
    },
    markSecret(value: string) {
      if (typeof value !== 'string')
        throw new FlowlaneError('FL_INVALID_OPTION', { option: 'markSecret value', reason: 'expected a string' });
      redactor.add(value);
    },
    async audit(record: AuditInput) {
      const stamped = redactor.value({
        ...record,
        executionId: request.executionId,
        workflow: workflow.name,
        nodeId,
        ...(request.actor === undefined ? {} : { actor: request.actor.id }),
        timestamp: rt.clock.now(),
      });
      await Promise.all(rt.auditSinks.map((s) => s.write(stamped as never)));
    },
    exec,
    resolve: (token) => rt.container.resolve(token),
  } as NodeContext;
  const run = async (): Promise<RemoteNodeOutcome> => {
    try {
      const r = invokerFor(def)(ctx, undefined);
      // A value or a promise needs no observable around it (most nodes); an observable gives its last value.
      const value = isObservable(r) ? await lastValueFrom(toObservable(r), { defaultValue: undefined }) : await r;
      return { ok: true, value };
    } catch (e) {
      return { ok: false, error: redactor.error(e) };
    }
  };
  const carrier = request.carrier !== null && typeof request.carrier === 'object' ? request.carrier : {};
  return runWithinPropagators(rt.propagators, scope, carrier, rt.logger, run) as Promise<RemoteNodeOutcome>;
}

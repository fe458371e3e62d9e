import type { Observable } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { AuditInput } from '../builder/types.js';
import { defaultCacheKey } from '../compile/cache-key.js';
import { FlowlaneError } from '../errors.js';
import type { ExecHandle, ExecOptions, ExecutionStorage, Executor } from '../plugin/types.js';
import { ArtifactStage } from './artifacts.js';
import type { CustomEvent } from './events.js';
import { executorFor, resolveSecret, runStorage, writeAudit } from './node-services.js';
import { nodeDenial } from './permissions.js';
import { withPropagatedEnv } from './propagation.js';
import type { RunHost } from './run-host.js';
import { type NodeServices, RunNodeContext } from './run-node-context.js';
import { RunState } from './run-state.js';
import { signalBox, waitForEvent, waitForSignal } from './signals.js';

/**
 * The run as its nodes and per-node services see it: what `ctx` reaches (logs, custom events, signals, storage,
 * secrets, audit, commands, DI) and the {@link RunHost} view that health checks, rollback, artifacts and the option
 * pipeline use. Node `i` is the node's index in the graph.
 */
export abstract class RunServices extends RunState implements NodeServices {
  idOf(i: number): string {
    return this.g.ids[i]!;
  }

  workerOf(i: number): string | undefined {
    return this.leases?.get(i)?.workerId;
  }

  log(
    i: number,
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Readonly<Record<string, unknown>>,
  ): void {
    const r = this.redactor;
    const msg = r?.active ? r.string(String(message)) : String(message);
    const f = fields === undefined ? undefined : r?.active ? r.value(fields) : fields;
    this.emit({
      type: 'node.log',
      executionId: this.executionId,
      workflow: this.workflow,
      timestamp: this.rt.clock.now(),
      nodeId: this.g.ids[i]!,
      level,
      message: msg,
      ...(f === undefined ? {} : { fields: f }),
    });
  }

  emitCustom(i: number, name: string, payload: unknown): void {
    const r = this.redactor;
    const e: CustomEvent = {
      type: 'custom',
      executionId: this.executionId,
      workflow: this.workflow,
      timestamp: this.rt.clock.now(),
      name,
      nodeId: this.g.ids[i]!,
      payload: r?.active ? r.value(payload) : payload,
    };
    (this.custom ??= new Map()).set(name, e);
    this.rt.lastCustom.publish(e);
    this.emit(e);
    const listeners = this.rt.customListeners.get(name);
    if (listeners !== undefined) for (const l of [...listeners]) l(e);
  }

  getCustom(name: string): CustomEvent | undefined {
    return this.custom?.get(name) ?? this.rt.lastCustom.since(name, this.customMark);
  }

  waitForSignal(i: number, name: string, timeout: number | undefined, signal: AbortSignal): Promise<unknown> {
    const box = signalBox((this.signals ??= new Map()), name);
    return waitForSignal(this.rt.clock, box, this.journal, this.g.ids[i]!, name, timeout, signal);
  }

  waitForEvent(i: number, name: string, timeout: number | undefined, signal: AbortSignal): Promise<CustomEvent> {
    return waitForEvent(this.rt.clock, this.rt.customListeners, this.g.ids[i]!, name, timeout, signal);
  }

  storage(): ExecutionStorage {
    this.storageView ??= runStorage(this.rt.stateStore, this.executionId, () => this.journal);
    return this.storageView;
  }

  getSecret(name: string): Promise<string> {
    return resolveSecret(this.rt.secrets, () => this.sharedRedactor(), name);
  }

  /** `ctx.markSecret(value)`: redact a value that did not come from a secrets provider. */
  markSecret(value: string): void {
    if (typeof value !== 'string')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'markSecret value',
        reason: `expected a string, got ${value === null ? 'null' : typeof value}`,
      });
    this.sharedRedactor().add(value);
  }

  audit(i: number, record: AuditInput): Promise<void> {
    return writeAudit(this.host(), this.redactor, i, record);
  }

  execHandle(
    i: number,
    command: string,
    options: Omit<ExecOptions, 'signal'> | undefined,
    signal: AbortSignal,
  ): ExecHandle {
    const { executor, target } = this.executorFor(i, options?.target);
    const nodeId = this.g.ids[i]!;
    const scope = { executionId: this.executionId, workflow: this.workflow, nodeId, attempt: this.attempts[i]! };
    return executor.exec(command, {
      ...withPropagatedEnv(this.rt.propagators, scope, this.rt.logger, options),
      signal,
      executionId: this.executionId,
      nodeId,
      ...(target === undefined ? {} : { target }),
    });
  }

  /** @internal */
  executorFor(i: number, explicitTarget?: string): { executor: Executor; target: string | undefined } {
    return executorFor(this, i, explicitTarget, this.workerOf(i));
  }

  resolve<T>(token: InjectionToken<T>): T {
    return this.rt.container.resolve(token);
  }

  /** @internal Asks the permission policy about node `i`: undefined when allowed, else the (audited) denial. */
  denial(i: number): unknown {
    return nodeDenial(
      this.rt.permissionPolicy,
      {
        actor: this.actor,
        node: this.internals.descriptions()[i]!,
        workflow: this.workflow,
        executionId: this.executionId,
      },
      (reason) => void this.audit(i, { action: 'node.execute', outcome: 'denied', details: { reason } }),
    );
  }

  /** @internal Node `i`'s operator pipeline (`error`: the error a boundary handles). */
  pipeline(i: number, error: unknown): Observable<unknown> {
    return this.plan.chains[i]!(this.host(), i, error);
  }

  /** @internal The view of this run that health checks, rollback, artifacts and the pipeline use (made on first use). */
  host(): RunHost {
    if (this.hostView !== undefined) return this.hostView;
    this.hostView = {
      executionId: this.executionId,
      workflow: this.workflow,
      actor: this.actor,
      rt: this.rt,
      g: this.g,
      attempts: this.attempts,
      priorFailures: (i) => this.replay?.failures.get(this.g.ids[i]!) ?? 0,
      outputs: this.outputs,
      version: this.wf.version,
      origin: this,
      isDone: () => this.done,
      emit: (e) => this.emit(e),
      serialize: (e, stack) => this.serialize(e, stack),
      runSignal: () => this.runSignal(),
      ctx: (i, attempt, ctrl) => new RunNodeContext(this, i, attempt, ctrl),
      execHandle: (i, command, options, signal) => this.execHandle(i, command, options, signal),
      executorFor: (i, target) => this.executorFor(i, target),
      input: () => this.input,
      descriptions: () => this.internals.descriptions(),
      invoke: (i, ctx, error) => this.invoke(i, ctx, error),
      redact: <T>(value: T): T => this.redactValue(value),
      markCacheHit: (i) => this.setExtra(i, { cacheHit: true }),
      defaultCacheKey: (i) => defaultCacheKey(this.g, this.outputs, this.input, i),
      adoptSecrets: (leader) => {
        // Values made by another run (a shared cache computation) carry its secrets: redact them here too.
        const theirs = (leader as RunState).redactor;
        if (theirs?.active) this.sharedRedactor().absorb(theirs);
      },
      denial: (i) => this.denial(i),
      artifacts: () => (this.artifactStage ??= new ArtifactStage(this.rt.artifactsDir)),
    };
    return this.hostView;
  }
}

import type { Observable } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { AuditInput } from '../builder/types.js';
import { defaultCacheKey } from '../compile/cache-key.js';
import type { NodeDescription } from '../contracts/descriptions.js';
import type { CustomEvent } from '../contracts/events.js';
import { FlowlaneError } from '../errors.js';
import type { ExecHandle, ExecOptions, ExecutionStorage, Executor } from '../plugin/types.js';
import { ArtifactStage } from './artifacts.js';
import { executorFor, resolveSecret, runStorage, writeAudit } from './node-services.js';
import { nodeDenial } from './permissions.js';
import { withPropagatedEnv } from './propagation.js';
import type { RunArtifacts, RunHost } from './run-host.js';
import { type NodeServices, RunNodeContext } from './run-node-context.js';
import { RunState } from './run-state.js';
import { signalBox, waitForEvent, waitForSignal } from './signals.js';

/**
 * The run as its nodes and per-node services see it: what `ctx` reaches (logs, custom events, signals, storage,
 * secrets, audit, commands, DI) and what health checks, rollback, artifacts, direct retries and operator chains use
 * ({@link RunHost}). Node `i` is the node's index in the graph.
 */
export abstract class RunServices extends RunState implements NodeServices, RunHost {
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

  /* ───────────── RunHost: what health checks, rollback, artifacts, direct retries and chains use ───────────── */

  /** @internal The run as {@link RunHost} (itself). */
  host(): RunHost {
    return this;
  }
  /** @internal */
  isDone(): boolean {
    return this.done;
  }
  /** @internal A context for node `i` at `attempt`. */
  ctx(i: number, attempt: number, ctrl?: AbortController): RunNodeContext {
    return new RunNodeContext(this, i, attempt, ctrl);
  }
  /** @internal */
  priorFailures(i: number): number {
    return this.replay?.failures.get(this.g.ids[i]!) ?? 0;
  }
  /** @internal */
  get version(): string | undefined {
    return this.wf.version;
  }
  /** @internal The run itself, as the identity of a shared cache computation. */
  get origin(): object {
    return this;
  }
  /** @internal */
  runInput(): unknown {
    return this.input;
  }
  /** @internal */
  descriptions(): readonly NodeDescription[] {
    return this.internals.descriptions();
  }
  /** @internal */
  redact<T>(value: T): T {
    return this.redactValue(value);
  }
  /** @internal */
  markCacheHit(i: number): void {
    this.setExtra(i, { cacheHit: true });
  }
  /** @internal */
  defaultCacheKey(i: number): string {
    return defaultCacheKey(this.g, this.outputs, this.input, i);
  }
  /** @internal Values made by another run (a shared cache computation) carry its secrets: redact them here too. */
  adoptSecrets(leader: unknown): void {
    const theirs = (leader as RunState).redactor;
    if (theirs?.active) this.sharedRedactor().absorb(theirs);
  }
  /** @internal The run's artifact staging area (made on first use). */
  artifacts(): RunArtifacts {
    return (this.artifactStage ??= new ArtifactStage(this.rt.artifactsDir));
  }
}

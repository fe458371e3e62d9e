import type { CompiledGraph } from '../builder/compiled-graph.js';
import type { NodeDescription } from '../contracts/descriptions.js';
import type { FlowEvent } from '../contracts/events.js';
import type { SerializedError } from '../errors.js';
import type { Actor, ExecHandle, ExecOptions, Executor } from '../plugin/types.js';
import type { EngineServices } from './engine-services.js';
import type { RunNodeContext } from './run-node-context.js';

/**
 * What the per-node services outside the ready-queue (health checks, rollback, artifacts, direct retries, operator
 * chains) need from their run. The run implements it itself (`RunServices`): no view object per run.
 */
export interface RunHost {
  readonly executionId: string;
  readonly workflow: string;
  readonly actor: Actor | undefined;
  readonly rt: EngineServices;
  readonly g: CompiledGraph;
  /** True once the run has ended (late callbacks are ignored). */
  isDone(): boolean;
  emit(e: FlowEvent): void;
  /** Serialises an error, redacting the run's secrets. */
  serialize(e: unknown, stack?: boolean): SerializedError;
  runSignal(): AbortSignal;
  /** A context for node `i` at `attempt`. */
  ctx(i: number, attempt: number, ctrl?: AbortController): RunNodeContext;
  execHandle(
    i: number,
    command: string,
    options: Omit<ExecOptions, 'signal'> | undefined,
    signal: AbortSignal,
  ): ExecHandle;
  executorFor(i: number, explicitTarget?: string): { executor: Executor; target: string | undefined };
  /** Attempts made so far, per node (the pipeline counts them). */
  readonly attempts: Uint16Array;
  /**
   * Failed attempts of node `i` logged before this run took it over (a resumed run; 0 otherwise): retries go on
   * from them — the same retry budget, the same backoff.
   */
  priorFailures(i: number): number;
  readonly outputs: Readonly<Record<string, unknown>>;
  /** The workflow's version (namespaces cache keys). */
  readonly version: string | undefined;
  /** The run itself, as the identity of a shared cache computation. */
  readonly origin: object;
  /** The run's input (after its schema). */
  runInput(): unknown;
  descriptions(): readonly NodeDescription[];
  /** Calls node `i`'s function (or starts its subworkflow). */
  invoke(i: number, ctx: RunNodeContext, error: unknown): unknown;
  redact<T>(value: T): T;
  markCacheHit(i: number): void;
  defaultCacheKey(i: number): string;
  /** A shared cache value made by another run carries its secrets: redact them here too. */
  adoptSecrets(leader: unknown): void;
  /** Undefined when the permission policy admits node `i`, else the (audited) denial or the policy's error. */
  denial(i: number): unknown;
  artifacts(): RunArtifacts;
}

/** The run's artifact staging area (see `artifacts.ts`). */
export interface RunArtifacts {
  /** Copies node `i`'s `artifacts.in` to its executor. */
  deliver(h: RunHost, i: number): Promise<void>;
  /** Copies node `i`'s `artifacts.out` from its executor into the staging area. */
  collect(h: RunHost, i: number): Promise<void>;
  /** Removes the staging area once the run has settled. */
  cleanup(h: RunHost): void;
}

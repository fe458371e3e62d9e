import { randomUUID } from 'node:crypto';
import type { SchedulerLike, Subscription } from 'rxjs';
import { diffGraphs, graphSignature } from '../builder/graph-hash.js';
import { FlowlaneError, serializeError } from '../errors.js';
import type { ExecutionStore } from '../plugin/contracts/execution-store.js';
import type { PropagationCarrier } from '../plugin/contracts/propagation.js';
import type { Logger } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import type { Execution } from './execution.js';
import { Journal } from './journal.js';
import { LeaseKeeper } from './leases.js';
import { runContextCarrier } from './propagation.js';
import { type ReplayState, replay } from './replay.js';
import { stopDurable } from './run-stop.js';
import { createRunsApi, type RunsApi } from './runs-api.js';

/** Options of durable executions, part of `EngineOptions`. */
export interface DurabilityOptions {
  /**
   * Where runs are logged. Default: none — runs are not journaled (no cost) and `engine.runs` shows this process's
   * active runs. `createMemoryExecutionStore()` journals in memory; `@flowlane/store-redis` survives crashes.
   */
  readonly executions?: ExecutionStore | undefined;
  /** Workflow definitions this engine can resume (several versions of one workflow side by side). */
  readonly workflows?: readonly Workflow<unknown, object>[] | undefined;
  /**
   * `'auto'`: when the engine is ready and then every `leaseMs`, resume every unfinished run of a registered
   * workflow whose owner's lease expired. Default `'manual'` (only `engine.resume(id)`).
   */
  readonly resume?: 'auto' | 'manual' | undefined;
  /** Lease of a run's owner, renewed every `leaseMs / 3` while it lives. Default 10 000 ms. */
  readonly leaseMs?: number | undefined;
  /** This engine's owner id in leases (default: a random UUID per engine). */
  readonly instanceId?: string | undefined;
  /**
   * `resume: 'auto'` meeting a run whose workflow version is not registered here: `'wait'` (default) leaves it for an
   * engine that has it; `'fail'` finishes it as failed with `FL_VERSION_NOT_REGISTERED`.
   */
  readonly unregisteredVersion?: 'wait' | 'fail' | undefined;
}

const versionKey = (v: string | undefined): string => v ?? '';

/** A run the engine may continue: its definition, the state its log rebuilt, and the lease epoch it now holds. */
export interface Resumable {
  readonly workflow: Workflow<unknown, object>;
  readonly state: ReplayState;
  readonly epoch: number;
}

/** The engine's side of durable executions: registry of definitions, journals, leases, resume and listing. */
export class Durability {
  store: ExecutionStore | undefined;
  readonly owner: string;
  readonly leaseMs: number;
  readonly mode: 'auto' | 'manual';
  readonly unregistered: 'wait' | 'fail';
  readonly leases: LeaseKeeper;
  readonly #registry = new Map<string, Map<string, Workflow<unknown, object>>>();
  readonly #clock: SchedulerLike;
  readonly #logger: Logger;
  #scan: Subscription | undefined;
  #closed = false;

  constructor(options: DurabilityOptions, clock: SchedulerLike, logger: Logger) {
    const lease = options.leaseMs ?? 10_000;
    if (!(Number.isFinite(lease) && lease >= 10))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: 'createEngine',
        option: 'leaseMs',
        reason: `expected ms ≥ 10, got ${String(lease)}`,
      });
    if (options.resume !== undefined && options.resume !== 'auto' && options.resume !== 'manual')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: 'createEngine',
        option: 'resume',
        reason: `expected 'auto' or 'manual', got ${JSON.stringify(options.resume)}`,
      });
    this.store = options.executions;
    this.owner = options.instanceId ?? randomUUID();
    this.leaseMs = lease;
    this.mode = options.resume ?? 'manual';
    this.unregistered = options.unregisteredVersion ?? 'wait';
    this.#clock = clock;
    this.#logger = logger;
    this.leases = new LeaseKeeper(() => this.store, clock, logger, lease);
    for (const wf of options.workflows ?? []) this.register(wf);
  }

  /** Make `wf` resumable here. A second definition with the same name and version must have the same graph. */
  register(wf: Workflow<unknown, object>): void {
    let versions = this.#registry.get(wf.name);
    if (versions === undefined) this.#registry.set(wf.name, (versions = new Map()));
    const key = versionKey(wf.version);
    const prev = versions.get(key);
    if (prev !== undefined && prev !== wf && graphSignature(prev).hash !== graphSignature(wf).hash)
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'workflows',
        reason: `workflow "${wf.name}" version ${wf.version ?? '(none)'} is registered twice with different graphs; give the new graph a new version`,
      });
    versions.set(key, wf);
  }

  /** The definition registered under this name and version, if any. */
  lookup(name: string, version: string | undefined): Workflow<unknown, object> | undefined {
    return this.#registry.get(name)?.get(versionKey(version));
  }

  /** The versions registered under a workflow name, for `FL_VERSION_NOT_REGISTERED` (`'(none)'` for no version). */
  versionsOf(name: string): string[] {
    return [...(this.#registry.get(name)?.keys() ?? [])].map((v) => v || '(none)');
  }

  /** A journal for a new run, or undefined when no execution store is set. */
  journalForNew(exec: Execution): Journal | undefined {
    const store = this.store;
    if (store === undefined) return undefined;
    const wf = exec.workflowRef;
    const sig = graphSignature(wf);
    const journal = new Journal({
      store,
      host: hostOf(exec),
      logger: this.#logger,
      clock: this.#clock,
      owner: this.owner,
      epoch: 1,
      leaseMs: this.leaseMs,
      start: {
        workflow: wf.name,
        version: wf.version,
        graphHash: sig.hash,
        graph: sig.nodes,
        input: exec.input,
        actor: exec.actor,
        carrier: startCarrier(exec, this.#logger),
      },
    });
    this.leases.add(exec.executionId, journal);
    return journal;
  }

  /** A journal continuing a resumed run's log. */
  journalForResumed(exec: Execution, r: Resumable): Journal {
    const journal = new Journal({
      store: this.#require('engine.resume'),
      host: hostOf(exec),
      logger: this.#logger,
      clock: this.#clock,
      owner: this.owner,
      epoch: r.epoch,
      leaseMs: this.leaseMs,
      replay: r.state,
    });
    this.leases.add(exec.executionId, journal);
    return journal;
  }

  /**
   * Checks a run can be resumed here (unfinished, version registered, same graph), then takes its lease — at once
   * with `force`, else only when it has expired (`undefined` then when another engine holds it or won the claim).
   */
  async take(
    executionId: string,
    force: boolean,
    authorize?: (workflow: string) => void,
  ): Promise<Resumable | undefined> {
    const store = this.#require('engine.resume');
    const before = await store.read(executionId);
    if (before === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId, inStore: true });
    const first = replay(before);
    if (first === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId, inStore: true });
    if (first.finished !== undefined)
      throw new FlowlaneError('FL_EXECUTION_FINISHED', { executionId, status: first.finished });
    const wf = this.definitionFor(executionId, first);
    authorize?.(wf.name);
    const epoch = await store.claim(executionId, { owner: this.owner, leaseMs: this.leaseMs, force });
    if (epoch === undefined) {
      if (force) {
        const s = await store.get(executionId);
        throw new FlowlaneError('FL_EXECUTION_FINISHED', { executionId, status: s?.status ?? 'unknown' });
      }
      return undefined;
    }
    // Read again under the new lease: whatever the previous owner wrote before it was fenced is in.
    const records = await store.read(executionId);
    const state = records === undefined ? undefined : replay(records);
    if (state === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId, inStore: true });
    return { workflow: wf, state, epoch };
  }

  /** The registered definition a run started with; throws `FL_VERSION_NOT_REGISTERED` / `FL_VERSION_MISMATCH`. */
  definitionFor(executionId: string, state: ReplayState): Workflow<unknown, object> {
    const s = state.started;
    const versions = this.#registry.get(s.workflow);
    const wf = versions?.get(versionKey(s.version));
    if (wf === undefined)
      throw new FlowlaneError('FL_VERSION_NOT_REGISTERED', {
        executionId,
        workflow: s.workflow,
        version: s.version ?? '(none)',
        registered: [...(versions?.keys() ?? [])].map((v) => v || '(none)'),
      });
    const sig = graphSignature(wf);
    if (sig.hash !== s.graphHash)
      throw new FlowlaneError('FL_VERSION_MISMATCH', {
        executionId,
        workflow: s.workflow,
        version: s.version ?? '(none)',
        changes: diffGraphs(s.graph, sig.nodes),
      });
    return wf;
  }

  /** `resume: 'auto'`: scans now and then every `leaseMs` for unfinished runs whose lease expired. */
  startScanning(resumeOne: (executionId: string) => Promise<void>): void {
    if (this.mode !== 'auto' || this.#closed) return;
    this.#require("resume: 'auto'");
    const tick = (): void => {
      this.#scan = undefined;
      void this.#scanOnce(resumeOne).finally(() => {
        if (!this.#closed) this.#scan = this.#clock.schedule(tick, this.leaseMs);
      });
    };
    tick();
  }

  async #scanOnce(resumeOne: (executionId: string) => Promise<void>): Promise<void> {
    const store = this.store!;
    let cursor: string | undefined;
    try {
      do {
        const page = await store.list({ status: 'running', limit: 100, ...(cursor === undefined ? {} : { cursor }) });
        for (const run of page.runs) {
          if (this.#closed) return;
          if (run.owner === this.owner || !this.#registry.has(run.workflow)) continue;
          try {
            await resumeOne(run.executionId);
          } catch (e) {
            this.#logger.warn('automatic resume skipped a run', {
              executionId: run.executionId,
              workflow: run.workflow,
              error: serializeError(e, { stack: false }).message,
            });
          }
        }
        cursor = page.cursor;
      } while (cursor !== undefined);
    } catch (e) {
      this.#logger.warn('automatic resume could not list runs', {
        store: store.name,
        error: serializeError(e, { stack: false }).message,
      });
    }
  }

  /** Finishes a run as failed without running it (`unregisteredVersion: 'fail'`). */
  async failUnregistered(executionId: string, error: FlowlaneError): Promise<void> {
    const store = this.#require("resume: 'auto'");
    const epoch = await store.claim(executionId, { owner: this.owner, leaseMs: this.leaseMs });
    if (epoch === undefined) return;
    const records = (await store.read(executionId)) ?? [];
    const state = replay(records);
    const at = this.#clock.now();
    await store.append(
      executionId,
      [
        {
          type: 'workflow.failed',
          seq: (state?.lastSeq ?? 0) + 1,
          at,
          durationMs: at - (state?.started.at ?? at),
          error: serializeError(error, { stack: false }),
        },
      ],
      { owner: this.owner, epoch },
    );
  }

  runs(active: () => Iterable<Execution>, ready: () => Promise<void>): RunsApi {
    return createRunsApi(
      () => {
        this.#open();
        return this.store;
      },
      active,
      ready,
    );
  }

  close(): void {
    this.#closed = true;
    this.#scan?.unsubscribe();
    this.#scan = undefined;
    this.leases.close();
  }

  /** `engine.runs` after `engine.close()`: the store's connections are gone, say so with a code. */
  #open(): void {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
  }

  #require(operation: string): ExecutionStore {
    if (this.store === undefined) throw new FlowlaneError('FL_NO_EXECUTION_STORE', { operation });
    return this.store;
  }
}

/**
 * The propagators' `runContext` of a new top-level run, asked for when its `workflow.started` is recorded (the
 * propagators' `runStarting` has run by then); undefined without propagators.
 */
function startCarrier(exec: Execution, logger: Logger): ((at: number) => PropagationCarrier) | undefined {
  const propagators = exec.rt.propagators;
  if (propagators.length === 0) return undefined;
  return (at) =>
    runContextCarrier(
      propagators,
      {
        executionId: exec.executionId,
        workflow: exec.workflow,
        resumed: false,
        ...(exec.triggeredBy === undefined ? {} : { triggeredBy: exec.triggeredBy }),
      },
      at,
      logger,
    );
}

function hostOf(exec: Execution) {
  return {
    executionId: exec.executionId,
    outputOf: (nodeId: string) => exec.outputs[nodeId],
    redact: (v: unknown) => exec.redactValue(v),
    fatal: (e: FlowlaneError, status?: 'cancelled' | 'failed') => stopDurable(exec, e, status),
  };
}

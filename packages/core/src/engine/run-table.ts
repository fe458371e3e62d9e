import { randomUUID } from 'node:crypto';
import type { RunOptions } from '../contracts/run-types.js';
import type { Workflow } from '../workflow.js';
import type { Durability } from './durability.js';
import type { EngineRegistry } from './engine-registry.js';
import { Execution } from './execution.js';
import type { FlowGate } from './flow-control/gate.js';
import { planRun, type RunPlan } from './run-plan.js';

/** What the run table needs from its engine. */
export interface RunTableHost {
  readonly rt: EngineRegistry<Execution>;
  readonly durable: Durability;
  flow(): FlowGate;
  /** Plugins are set up: queued runs may start. */
  isReady(): boolean;
}

/**
 * The engine's runs: active top-level runs by id, subworkflow runs by id, runs waiting for room under
 * `maxConcurrentRuns`, and each workflow's plan on this engine (compiled once, on its first run).
 */
export class RunTable {
  readonly active = new Map<string, Execution>();
  /** Subworkflow runs executing now, by id (`<parent id>/<node id>`). */
  readonly children = new Map<string, Execution>();
  readonly queued: Execution[] = [];
  readonly maxRuns: number;
  running = 0;
  readonly #plans = new WeakMap<object, RunPlan>();
  readonly #host: RunTableHost;
  #draining = false;

  constructor(host: RunTableHost, maxRuns: number) {
    this.#host = host;
    this.maxRuns = maxRuns;
  }

  /** A top-level run or a subworkflow run, by id. */
  find(executionId: string): Execution | undefined {
    return this.active.get(executionId) ?? this.children.get(executionId);
  }

  /** Room for more runs now (0 until plugins are set up). */
  room(): number {
    return this.#host.isReady() ? this.maxRuns - this.running - this.queued.length : 0;
  }

  /** A new or resumed top-level run: flow control, else a free slot, else the queue. */
  admit(exec: Execution, input: unknown, priority: number | undefined, resumed = false): void {
    const flow = this.#host.flow();
    if (flow.controls(exec.workflowRef, priority)) flow.enqueue(exec, input, priority, resumed);
    else if ((resumed || this.#host.isReady()) && this.running < this.maxRuns) this.start(exec);
    else this.queued.push(exec);
  }

  /** A subworkflow node's child run (`EngineServices.startChild`). */
  startChild(wf: Workflow<unknown, object>, input: unknown, opts: RunOptions, parent: Execution): Execution {
    const exec = new Execution(this.#host.rt, wf, input, opts, opts.executionId ?? randomUUID(), parent);
    // Registered by id while it runs, so engine.cancel / engine.signal reach it like a top-level run.
    this.children.set(exec.executionId, exec);
    const plan = this.planFor(wf);
    // A child of a workflow with flow-control options waits for its own keys (never for engine room).
    if (wf.flowControl !== undefined) this.#host.flow().enterChild(exec, input, opts.signal, () => exec.start(plan));
    else exec.start(plan);
    return exec;
  }

  /** The workflow's plan on this engine (operator chains included), compiled on its first run, kept while the workflow is reachable. */
  planFor(wf: Workflow<unknown, object>): RunPlan {
    let plan = this.#plans.get(wf);
    if (plan === undefined) this.#plans.set(wf, (plan = planRun(this.#host.rt, wf)));
    return plan;
  }

  start(exec: Execution): void {
    this.running++;
    if (exec.journal === undefined) {
      const journal = this.#host.durable.journalForNew(exec);
      if (journal !== undefined) exec.attachJournal(journal);
    }
    exec.start(this.planFor(exec.workflowRef));
  }

  /** A run ended (`EngineServices.settled`): its slot goes to the next queued run. */
  settled(exec: Execution): void {
    const flow = this.#host.flow();
    if (exec.isChild) {
      if (this.children.get(exec.executionId) === exec) this.children.delete(exec.executionId);
      if (exec.workflowRef.flowControl !== undefined) flow.settled(exec);
      return;
    }
    if (this.active.get(exec.executionId) === exec) this.active.delete(exec.executionId);
    if (exec.journal !== undefined) this.#host.durable.leases.delete(exec.executionId);
    if (this.active.size === 0) this.#host.rt.lastCustom.clear();
    if (exec.wasStarted) this.running--;
    else {
      const k = this.queued.indexOf(exec);
      if (k !== -1) this.queued.splice(k, 1);
    }
    flow.settled(exec);
    this.drain();
  }

  /** Starts queued runs while there is room. */
  drain(): void {
    // Not re-entrant: a run that settles synchronously inside start calls drain again through settled; the outer
    // loop picks up the slot instead, so 1,000 queued runs never nest 1,000 deep.
    if (!this.#host.isReady() || this.#draining) return;
    this.#draining = true;
    try {
      while (this.running < this.maxRuns && this.queued.length > 0) this.start(this.queued.shift()!);
    } finally {
      this.#draining = false;
    }
    this.#host.flow().pump();
  }
}

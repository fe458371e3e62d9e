import { asyncScheduler } from 'rxjs';
import type { Run, RunOptions } from '../contracts/run-types.js';
import { consoleLogger } from '../defaults/console-logger.js';
import { createMemoryAuditSink } from '../defaults/memory-audit-sink.js';
import type { AuditRecord } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import { Durability } from './durability.js';
import { EngineEvents } from './engine-events.js';
import type { EngineOptions } from './engine-options.js';
import { createEngineRegistry, type EngineRegistry, registerEngineTokens } from './engine-registry.js';
import type { Execution } from './execution.js';
import { FlowGate } from './flow-control/gate.js';
import { type CapturedOrigin, captureRunOrigin } from './propagation.js';
import { checkRedact } from './run-options.js';
import { RunTable } from './run-table.js';
import { registerRuntime } from './runtime-registry.js';
import { ScheduleSet } from './schedules.js';
import { TriggerHub } from './triggers.js';
import { engineLimits, validateEngineOptions } from './validate-options.js';

/**
 * Everything an `Engine` is made of, shared by the modules its methods delegate to (`submit-run.ts`,
 * `engine-lifecycle.ts`, `run-control.ts`, `resume-run.ts`): the services registry, the run table, durability,
 * flow control, triggers, schedules, event streams, plugin disposers and the engine's state.
 */
export interface EngineCore {
  readonly rt: EngineRegistry<Execution>;
  /** `events$`, `systemEvents$` and exporters' hooks (see engine-events.ts). */
  readonly events: EngineEvents;
  /** Active, queued and subworkflow runs, and each workflow's plan on this engine (see run-table.ts). */
  readonly runs: RunTable;
  /** Execution log, leases, resume (see durability.ts). */
  readonly durable: Durability;
  /** Flow control between runs: per-key concurrency, rate limits, fairness, priority, cancelOn (flow-control/). */
  readonly flow: FlowGate;
  readonly triggers: TriggerHub;
  readonly schedules: ScheduleSet;
  readonly disposers: { owner: string; fn: () => void | Promise<void> }[];
  readonly ownerOf: Map<string, string>;
  readonly background: Set<Promise<unknown>>;
  /** The default in-memory audit sink (its records are `engine.audit.records`). */
  readonly audit: { readonly records: readonly AuditRecord[] };
  /** Plugin setup (undefined without plugins). */
  ready: Promise<void> | undefined;
  readyError: unknown;
  /** Abort plugin setup still running (`api.signal`), giving it a grace period (set while setup runs). */
  abortSetup: (() => void) | undefined;
  /** Plugins are set up: queued runs may start. */
  isReady: boolean;
  closed: boolean;
  closing: Promise<void> | undefined;
}

/** How a run asked for by a trigger, a schedule or a plugin (a queue consumer) is started: `engine.run`'s path. */
export type SubmitRun = (
  wf: Workflow<unknown, object>,
  input: unknown,
  options: RunOptions,
  origin?: CapturedOrigin | undefined,
) => Run<object>;

/**
 * Makes an engine's parts from its options (checked here) and registers its services under the DI tokens; plugins
 * are set up afterwards (`setupEngine` in engine-lifecycle.ts). `submit` starts triggered and scheduled runs.
 */
export function createEngineCore(engine: object, options: EngineOptions, submit: SubmitRun): EngineCore {
  validateEngineOptions(options);
  const clock = options.clock ?? asyncScheduler;
  const logger = options.logger ?? consoleLogger;
  const memoryAudit = createMemoryAuditSink();
  const { maxRuns, maxTriggerDepth } = engineLimits(options);
  if (options.redact !== undefined) checkRedact(options.redact, 'redact');
  const events = new EngineEvents();
  const durable = new Durability(options, clock, logger);
  // The parts refer to each other: each reads the others through `core` when it uses them (after this returns).
  const background = new Set<Promise<unknown>>();
  const rt = createEngineRegistry<Execution>(
    options,
    clock,
    logger,
    memoryAudit,
    events.publisher((e) => {
      core.flow.onEvent(e.name, e.payload);
      core.triggers.onEvent(e);
    }),
    {
      track: (work) => {
        background.add(work);
        void work.finally(() => background.delete(work));
      },
      startChild: (wf, input, opts, parent) => core.runs.startChild(wf, input, opts, parent),
      settled: (exec) => core.runs.settled(exec),
      flow: () => core.flow,
    },
    events.heard(),
  );
  const runs = new RunTable({ rt, durable, flow: () => core.flow, isReady: () => core.isReady }, maxRuns);
  // Triggered and scheduled runs: the origin is the triggering event's caller (captured by the hub), or none (a
  // schedule, a run's end: not the context the clock callback or the finished run happens to run in).
  const core: EngineCore = {
    rt,
    events,
    runs,
    durable,
    flow: new FlowGate({ clock, logger, room: () => runs.room(), admit: (exec) => runs.start(exec) }),
    triggers: new TriggerHub({
      clock,
      logger,
      maxChainDepth: maxTriggerDepth,
      run: submit,
      capture: () => captureOrigin(core),
    }),
    schedules: new ScheduleSet({
      clock,
      logger,
      ready: () => core.ready ?? Promise.resolve(),
      stateStore: () => rt.stateStore,
      run: submit,
    }),
    disposers: [],
    ownerOf: new Map(),
    background,
    audit: memoryAudit,
    ready: undefined,
    readyError: undefined,
    abortSetup: undefined,
    isReady: false,
    closed: false,
    closing: undefined,
  };
  registerEngineTokens(engine, rt, logger, clock);
  registerRuntime(engine, rt as EngineRegistry<unknown>);
  return core;
}

/** The caller's context for a run asked for now, from the context propagators (`undefined` when none captures). */
export function captureOrigin(core: EngineCore): CapturedOrigin | undefined {
  return captureRunOrigin(core.rt.propagators, core.rt.logger, core.isReady);
}

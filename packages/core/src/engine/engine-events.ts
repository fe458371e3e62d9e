import { type Observable, Subject, type Subscription } from 'rxjs';
import type { CustomEvent, FlowEvent, SystemEvent } from '../contracts/events.js';
import type { Run, RunOptions } from '../contracts/run-types.js';
import type { ExporterHook, PluginHostTarget } from '../plugin/plugin-host.js';
import type { Logger, Scheduler } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import type { Durability } from './durability.js';
import { createHeard, createPublisher, type EngineRegistry } from './engine-registry.js';
import type { Execution } from './execution.js';
import type { FlowGate } from './flow-control/gate.js';
import type { CapturedOrigin } from './propagation.js';
import { runGraphOf } from './run-graph.js';
import { dequeuedRun } from './run-queue.js';
import type { RunTable } from './run-table.js';
import { publishSystemEvent, relaySchedulerEvents } from './system-events.js';

/**
 * The engine's two event streams and their listeners: run events (`engine.events$`, exporters' `handle`) and system
 * events (`engine.systemEvents$`, exporters' `handleSystem`, relayed from the scheduler's `events$`). Both complete
 * on `close()`.
 */
export class EngineEvents {
  readonly #events = new Subject<FlowEvent>();
  readonly #system = new Subject<SystemEvent>();
  /** Exporters' `handle` callbacks: called directly for every event (cheaper than a Subject subscription). */
  readonly eventHandlers: ExporterHook<FlowEvent>[] = [];
  /** Exporters' `handleSystem` callbacks. */
  readonly systemHandlers: ExporterHook<SystemEvent>[] = [];
  #relay: Subscription | undefined;

  /** Every event of every run (not replayed). */
  events$(): Observable<FlowEvent> {
    return this.#events.asObservable();
  }

  /** System events (not replayed). */
  systemEvents$(): Observable<SystemEvent> {
    return this.#system.asObservable();
  }

  /** What runs publish each event with (see `createPublisher`); `onCustom` hears custom events. */
  publisher(onCustom: (e: CustomEvent) => void): (e: FlowEvent) => void {
    return createPublisher(this.eventHandlers, this.#events, onCustom);
  }

  /** Whether an event of a type would be heard by an exporter, an `engine.events$` subscriber or a channel now. */
  heard(): (type: FlowEvent['type']) => boolean {
    return createHeard(this.eventHandlers, this.#events);
  }

  /** Republishes the installed scheduler's `events$` (once plugins are set up). */
  watchScheduler(scheduler: Scheduler | undefined, logger: Logger): void {
    this.#relay = relaySchedulerEvents(scheduler, logger, this.systemHandlers, this.#system);
  }

  /** A system event from a plugin (`api.publishSystemEvent`). */
  publishSystem(e: SystemEvent, source: string, logger: Logger): void {
    publishSystemEvent(e, source, logger, this.systemHandlers, this.#system);
  }

  close(): void {
    this.#relay?.unsubscribe();
    this.#system.complete();
    this.#events.complete();
  }
}

/** The engine as the plugin host sees it (registrations land in the registry `rt`). */
export function pluginHostTarget(e: {
  readonly rt: EngineRegistry<Execution>;
  readonly ownerOf: Map<string, string>;
  readonly events: EngineEvents;
  readonly durable: Durability;
  readonly flow: FlowGate;
  readonly runs: RunTable;
  readonly run: (
    wf: Workflow<unknown, object>,
    input: unknown,
    options: RunOptions,
    origin: CapturedOrigin | undefined,
  ) => Run;
}): PluginHostTarget {
  return {
    registry: e.rt,
    ownerOf: e.ownerOf,
    eventHandlers: e.events.eventHandlers,
    systemHandlers: e.events.systemHandlers,
    events$: e.events.events$(),
    systemEvents$: e.events.systemEvents$(),
    publishSystemEvent: (x, source) => e.events.publishSystem(x, source, e.rt.logger),
    setExecutionStore: (store) => {
      e.durable.store = store;
    },
    resumeMode: e.durable.mode,
    setFlowControlBackend: (backend) => {
      e.flow.backend = backend;
    },
    startQueued: (q) => {
      const { wf, options, carrier } = dequeuedRun(e.durable, q);
      // The enqueuer's context, not the queue consumer's.
      return e.run(wf, q.input, options, carrier === undefined ? undefined : { carrier });
    },
    describeRun: (id) => e.runs.find(id)?.workflowRef.toJSON(),
    runGraph: (id) => {
      const x = e.runs.find(id);
      return x === undefined ? undefined : runGraphOf(x.workflowRef);
    },
    runEvents: (id) => e.runs.find(id)?.eventsView(),
  };
}

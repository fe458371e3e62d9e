import type { FlowEvent } from '../contracts/events.js';
import type { RunEventsView } from '../plugin/contracts/run-events.js';

/**
 * The {@link RunEventsView} of a run's event log. It reads the log through the two functions it is given, which
 * must hold the log's storage only: a plugin that keeps the view after the run settled keeps the events alive,
 * never the run (its outputs, state arrays, handlers).
 */
export class RunEventsHandle implements RunEventsView {
  readonly executionId: string;
  readonly workflow: string;
  readonly #read: () => readonly FlowEvent[];
  readonly #count: () => number;
  #final: boolean;

  constructor(
    executionId: string,
    workflow: string,
    read: () => readonly FlowEvent[],
    count: () => number,
    final: boolean,
  ) {
    this.executionId = executionId;
    this.workflow = workflow;
    this.#read = read;
    this.#count = count;
    this.#final = final;
  }

  get count(): number {
    return this.#count();
  }

  get final(): boolean {
    return this.#final;
  }

  events(): readonly FlowEvent[] {
    return this.#read();
  }

  /** Called by the log when the run is final. */
  close(): void {
    this.#final = true;
  }
}

import type { Observable } from 'rxjs';
import type { FlowEvent, SystemEvent } from '../../contracts/events.js';

/* Plugin contracts: observability. */

/** Subscribes to the engine's event stream (Prometheus, DataDog, …). */
export interface MetricsExporter {
  readonly name: string;
  /**
   * The fast path: called synchronously with every event of every run on the engine (no RxJS subscription).
   * Keep it cheap and non-throwing: a throw is caught and logged with the exporter's name (the first 10 failures of
   * an exporter one by one, then their total when the engine closes), and never reaches a run. Give `handle`,
   * `attach`, or both.
   */
  handle?(event: FlowEvent): void;
  /** Called synchronously with every {@link SystemEvent} (worker health, resource expiry); same rules as `handle`. */
  handleSystem?(event: SystemEvent): void;
  /** Called once with the engine-wide event stream; return a teardown. */
  attach?(events$: Observable<FlowEvent>): void | (() => void | Promise<void>);
  dispose?(): void | Promise<void>;
}

/** Structured logger used by the engine and plugins (pino-compatible method names). */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** `ctx.log`: lines become redacted `node.log` events. */
export type NodeLogger = Logger;

import type { FlowControlBackend } from '../../contracts/flow-control.js';
import { serializeError } from '../../errors.js';
import type { Logger } from '../../plugin/types.js';
import { isPromise } from './keys.js';
import { createMemoryFlowControlBackend } from './memory-backend.js';

/**
 * The glue between flow control and its {@link FlowControlBackend}: which backend is installed, releasing slots (and
 * telling the run and node gates that a slot of this engine came free), and containing backend failures — a
 * throwing or rejecting backend is logged and never breaks admission.
 */
export class BackendLink {
  #backend: FlowControlBackend = createMemoryFlowControlBackend();
  readonly #logger: Logger;
  /** Called when a plugin installs another backend. */
  readonly #onChange: ((previous: FlowControlBackend) => void)[] = [];
  /** Called after a slot this engine held was given back (in registration order). */
  readonly #onRelease: ((slot: string) => void)[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  get backend(): FlowControlBackend {
    return this.#backend;
  }

  set backend(backend: FlowControlBackend) {
    const previous = this.#backend;
    this.#backend = backend;
    for (const fn of this.#onChange) fn(previous);
  }

  /** Call `fn` when another backend is installed (with the previous one). */
  onChange(fn: (previous: FlowControlBackend) => void): void {
    this.#onChange.push(fn);
  }

  /** Call `fn` whenever this engine gives back a slot (after the backend answered). */
  onRelease(fn: (slot: string) => void): void {
    this.#onRelease.push(fn);
  }

  /** Gives back `holder`'s slot of `slot`, then wakes whoever waits for it on this engine. */
  release(slot: string, holder: string): void {
    let r: void | Promise<void>;
    try {
      r = this.backend.release({ key: slot, holder });
      if (isPromise(r)) r = r.then(undefined, (e: unknown) => this.failed(e, undefined));
    } catch (e) {
      r = this.failed(e, undefined);
    }
    const after = (): void => {
      for (const fn of this.#onRelease) fn(slot);
    };
    if (isPromise(r)) void r.then(after);
    else after();
  }

  /** A throwing or rejecting backend is logged and answers `fallback`. */
  failed<T>(e: unknown, fallback: T): T {
    this.#logger.error('flow-control backend failed', {
      backend: this.backend.name,
      error: serializeError(e, { stack: false }).message,
    });
    return fallback;
  }
}

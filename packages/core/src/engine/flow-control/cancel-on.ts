import { serializeError } from '../../errors.js';
import type { Logger } from '../../plugin/types.js';
import type { BackendLink } from './backend-link.js';
import type { Entry } from './fair-lanes.js';
import { isPromise } from './keys.js';

/** A run that listens for `cancelOn` events (a top-level run in the gate, or a subworkflow run). */
export type CancelOnListener = Pick<Entry, 'exec' | 'opts' | 'ctx'>;

/**
 * `cancelOn`: the runs that listen for custom events, by event name. A matching event (`engine.emit`,
 * `ctx.emitEvent`) cancels the run, waiting or running, with the reason `cancelOn: event "<name>"`. With a backend
 * that carries events between engines (`publishEvent` / `subscribeEvents`, e.g. Redis), every custom event is also
 * published to the other engines, and this engine subscribes to the names its runs listen for.
 */
export class CancelOnBoard {
  readonly #logger: Logger;
  readonly #link: BackendLink;
  readonly #listeners = new Map<string, Set<CancelOnListener>>();
  /** Stop functions of the backend subscriptions, by event name. */
  readonly #remote = new Map<string, () => void>();

  constructor(logger: Logger, link: BackendLink) {
    this.#logger = logger;
    this.#link = link;
    // A backend installed by a plugin after runs started listening: move their subscriptions to it.
    link.onChange(() => {
      for (const stop of this.#remote.values()) stop();
      this.#remote.clear();
      for (const name of this.#listeners.keys()) this.#subscribe(name);
    });
  }

  /** Start listening for `entry`'s `cancelOn` events. */
  watch(entry: CancelOnListener): void {
    for (const rule of entry.opts.cancelOn ?? []) {
      let set = this.#listeners.get(rule.event);
      if (set === undefined) {
        this.#listeners.set(rule.event, (set = new Set()));
        this.#subscribe(rule.event);
      }
      set.add(entry);
    }
  }

  /** Stop listening for `entry` (it settled). */
  unwatch(entry: CancelOnListener): void {
    for (const rule of entry.opts.cancelOn ?? []) {
      const set = this.#listeners.get(rule.event);
      set?.delete(entry);
      if (set?.size === 0) {
        this.#listeners.delete(rule.event);
        this.#remote.get(rule.event)?.();
        this.#remote.delete(rule.event);
      }
    }
  }

  /** A custom event of this engine: cancels the runs whose `cancelOn` matches it, here and on the other engines. */
  onEvent(name: string, payload: unknown): void {
    this.#match(name, payload);
    const backend = this.#link.backend;
    if (backend.publishEvent === undefined) return;
    try {
      const r = backend.publishEvent({ name, payload });
      if (isPromise(r)) r.then(undefined, (e: unknown) => this.#link.failed(e, undefined));
    } catch (e) {
      this.#link.failed(e, undefined);
    }
  }

  #subscribe(name: string): void {
    const backend = this.#link.backend;
    if (backend.subscribeEvents === undefined) return;
    try {
      this.#remote.set(
        name,
        backend.subscribeEvents(name, (payload) => this.#match(name, payload)),
      );
    } catch (e) {
      this.#link.failed(e, undefined);
    }
  }

  #match(name: string, payload: unknown): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const entry of [...set]) {
      for (const rule of entry.opts.cancelOn ?? []) {
        if (rule.event !== name) continue;
        let hit = false;
        try {
          hit = rule.match === undefined || rule.match({ name, payload }, entry.ctx) === true;
        } catch (e) {
          this.#logger.error(`cancelOn "${name}": match threw`, {
            workflow: entry.ctx.workflow,
            executionId: entry.ctx.executionId,
            error: serializeError(e, { stack: false }).message,
          });
        }
        if (hit) {
          entry.exec.cancel(`cancelOn: event "${name}"`);
          break;
        }
      }
    }
  }
}

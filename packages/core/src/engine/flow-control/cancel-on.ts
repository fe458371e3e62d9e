import { serializeError } from '../../errors.js';
import type { Logger } from '../../plugin/types.js';
import type { Entry } from './fair-lanes.js';

/** A run that listens for `cancelOn` events (a top-level run in the gate, or a subworkflow run). */
export type CancelOnListener = Pick<Entry, 'exec' | 'opts' | 'ctx'>;

/**
 * `cancelOn`: the runs that listen for custom events, by event name. A matching event (`engine.emit`,
 * `ctx.emitEvent`) cancels the run, waiting or running, with the reason `cancelOn: event "<name>"`.
 */
export class CancelOnBoard {
  readonly #logger: Logger;
  readonly #listeners = new Map<string, Set<CancelOnListener>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Start listening for `entry`'s `cancelOn` events. */
  watch(entry: CancelOnListener): void {
    for (const rule of entry.opts.cancelOn ?? []) {
      let set = this.#listeners.get(rule.event);
      if (set === undefined) this.#listeners.set(rule.event, (set = new Set()));
      set.add(entry);
    }
  }

  /** Stop listening for `entry` (it settled). */
  unwatch(entry: CancelOnListener): void {
    for (const rule of entry.opts.cancelOn ?? []) {
      const set = this.#listeners.get(rule.event);
      set?.delete(entry);
      if (set?.size === 0) this.#listeners.delete(rule.event);
    }
  }

  /** A custom event: cancels the runs whose `cancelOn` matches it. */
  onEvent(name: string, payload: unknown): void {
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

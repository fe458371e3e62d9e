import type { SchedulerLike, Subscription } from 'rxjs';
import { serializeError } from '../errors.js';
import type { ExecutionStore } from '../plugin/contracts/execution-store.js';
import type { Logger } from '../plugin/types.js';
import type { Journal } from './journal.js';

/**
 * Keeps the leases of the runs this engine owns alive: every `leaseMs / 3` one renewal per run. A renewal that is
 * refused (another engine took the run over with a higher epoch) fences the run's journal, which stops the run here.
 * The timer runs only while the engine owns at least one run, so an idle engine holds no timer.
 */
export class LeaseKeeper {
  readonly #store: () => ExecutionStore | undefined;
  readonly #clock: SchedulerLike;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #owned = new Map<string, Journal>();
  #timer: Subscription | undefined;
  #renewing = false;

  constructor(store: () => ExecutionStore | undefined, clock: SchedulerLike, logger: Logger, leaseMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#leaseMs = leaseMs;
  }

  add(executionId: string, journal: Journal): void {
    this.#owned.set(executionId, journal);
    this.#arm();
  }

  delete(executionId: string): void {
    this.#owned.delete(executionId);
    if (this.#owned.size === 0) {
      this.#timer?.unsubscribe();
      this.#timer = undefined;
    }
  }

  close(): void {
    this.#owned.clear();
    this.#timer?.unsubscribe();
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#owned.size === 0) return;
    this.#timer = this.#clock.schedule(
      () => {
        this.#timer = undefined;
        void this.#renewAll().finally(() => this.#arm());
      },
      Math.max(1, Math.floor(this.#leaseMs / 3)),
    );
  }

  async #renewAll(): Promise<void> {
    const store = this.#store();
    if (store === undefined || this.#renewing) return;
    this.#renewing = true;
    try {
      await Promise.all(
        [...this.#owned].map(async ([id, journal]) => {
          try {
            const ok = await store.renew(id, journal.fence, this.#leaseMs);
            if (!ok && this.#owned.get(id) === journal) {
              this.#owned.delete(id);
              journal.fenced();
            }
          } catch (e) {
            this.#logger.warn('lease renewal failed; retrying', {
              executionId: id,
              error: serializeError(e, { stack: false }).message,
            });
          }
        }),
      );
    } finally {
      this.#renewing = false;
    }
  }
}

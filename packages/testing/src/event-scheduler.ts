import { createFifoScheduler, type Scheduler, type SystemEvent } from '@flowlane/core';
import { Subject } from 'rxjs';

/**
 * A scheduler whose `events$` the test drives: admission is core's FIFO scheduler (`concurrency`, default 2), and
 * `events.next(…)` publishes a system event (`worker.down`, `worker.up`, `resource.expired`) as a placement or pool
 * scheduler would. For testing what consumes `engine.systemEvents$` (exporters, monitors) without real workers.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createEventSourceScheduler } from '@flowlane/testing';
 * const { scheduler, events } = createEventSourceScheduler('fleet');
 * const engine = createEngine({ scheduler });
 * engine.systemEvents$.subscribe((e) => console.log(e.type, e.scheduler)); // worker.down fleet
 * events.next({ type: 'worker.down', workerId: 'w1', reason: 'probe failed', timestamp: 0 });
 * await engine.close();
 * ```
 */
export function createEventSourceScheduler(
  name = 'fleet',
  options: { readonly concurrency?: number | undefined } = {},
): { readonly scheduler: Scheduler; readonly events: Subject<SystemEvent> } {
  const events = new Subject<SystemEvent>();
  const fifo = createFifoScheduler({ concurrency: options.concurrency ?? 2 });
  const scheduler: Scheduler = {
    name,
    acquire: (request, signal) => fifo.acquire(request, signal),
    release: (lease, outcome) => fifo.release(lease, outcome),
    pending: () => fifo.pending?.() ?? 0,
    events$: events,
    dispose: () => events.complete(),
  };
  return { scheduler, events };
}

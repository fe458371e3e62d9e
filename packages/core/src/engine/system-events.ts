import type { Subject, Subscription } from 'rxjs';
import type { SystemEvent } from '../contracts/events.js';
import { serializeError } from '../errors.js';
import { contain, type ExporterHook } from '../plugin/plugin-host.js';
import type { Logger, Scheduler } from '../plugin/types.js';

/**
 * The engine's system events: the installed scheduler's `events$` (`worker.down`, `worker.up`, `resource.expired`),
 * each stamped with the scheduler's name, logged, passed to exporters' `handleSystem` (failures contained) and
 * republished on `engine.systemEvents$`. Undefined when the scheduler has no `events$`.
 */
export function relaySchedulerEvents(
  scheduler: Scheduler | undefined,
  logger: Logger,
  hooks: readonly ExporterHook<SystemEvent>[],
  out: Subject<SystemEvent>,
): Subscription | undefined {
  const source = scheduler?.events$;
  if (scheduler === undefined || source === undefined) return undefined;
  return source.subscribe({
    next: (raw) => publishSystemEvent(raw, scheduler.name, logger, hooks, out),
    error: (err: unknown) =>
      logger.error('scheduler events$ failed', {
        scheduler: scheduler.name,
        error: serializeError(err, { stack: false }).message,
      }),
  });
}

/**
 * Publishes one system event (from the scheduler, or a plugin through `api.publishSystemEvent`): stamps `scheduler`
 * with `source` unless set, logs it, passes it to exporters' `handleSystem` (failures contained) and to `out`.
 */
export function publishSystemEvent(
  raw: SystemEvent,
  source: string,
  logger: Logger,
  hooks: readonly ExporterHook<SystemEvent>[],
  out: Subject<SystemEvent>,
): void {
  const e: SystemEvent = { ...raw, scheduler: raw.scheduler ?? source };
  if (e.type === 'worker.down')
    logger.warn(`worker down: ${e.workerId}`, { scheduler: e.scheduler, workerId: e.workerId, reason: e.reason });
  else if (e.type === 'worker.up')
    logger.info(`worker up: ${e.workerId}`, { scheduler: e.scheduler, workerId: e.workerId });
  else
    logger.warn(`resources of node ${e.nodeId} expired after ${e.heldMs} ms`, {
      scheduler: e.scheduler,
      executionId: e.executionId,
      nodeId: e.nodeId,
      amounts: e.amounts,
    });
  for (const hook of [...hooks]) {
    try {
      const r = hook.handle(e);
      if (r !== undefined) contain(r, e, hook);
    } catch (err) {
      hook.fail(e, err);
    }
  }
  out.next(e);
}

import { serializeError } from '../errors.js';
import { safe } from '../plugin/plugin-host.js';
import type { Durability } from './durability.js';
import type { EngineRegistry } from './engine-registry.js';
import type { Execution } from './execution.js';
import type { FlowGate } from './flow-control/gate.js';

/** What `engine.close()` stops, in order. */
export interface ClosingEngine {
  readonly rt: EngineRegistry<Execution>;
  readonly stopIntake: readonly { close(): void }[];
  readonly flow: FlowGate;
  readonly ready: Promise<void> | undefined;
  /** Aborts plugin setup still running (`api.signal`); it settles `ready` within a grace period. */
  readonly abortSetup: (() => void) | undefined;
  readonly durable: Durability;
  /** The active runs (read once plugin setup is over). */
  runs(): readonly Execution[];
  readonly background: ReadonlySet<Promise<unknown>>;
  readonly disposers: { owner: string; fn: () => void | Promise<void> }[];
  /** The engine's event streams (completed last). */
  readonly events: { close(): void };
}

/**
 * Closes an engine: no new work (triggers, schedules, flow control), plugin setup still running aborted
 * (`api.signal`) and awaited at most `SETUP_CLOSE_GRACE_MS`, durable runs detached from
 * their log (they stay resumable), every run cancelled and awaited with background work, plugins disposed in reverse
 * order, then executors, scheduler, stores, secrets providers and audit sinks; a failing dispose is logged.
 */
export async function closeEngine(c: ClosingEngine): Promise<void> {
  const rt = c.rt;
  for (const s of c.stopIntake) s.close();
  c.flow.close();
  c.abortSetup?.();
  await c.ready?.catch(() => undefined);
  c.durable.close();
  const runs = c.runs();
  // Durable runs stay resumable: what they logged so far is kept, their cancellation is not logged.
  for (const r of runs) r.journal?.detach();
  for (const r of runs) r.cancel('engine closed');
  await Promise.all(runs.map((r) => r.result));
  await Promise.all(c.background);
  for (const d of c.disposers.reverse()) {
    try {
      await d.fn();
    } catch (e) {
      rt.logger.error('plugin dispose failed', { plugin: d.owner, error: serializeError(e).message });
    }
  }
  c.disposers.length = 0;
  for (const ex of new Set(rt.executors.values())) await safe(() => ex.dispose(), rt.logger);
  await safe(() => rt.scheduler?.dispose?.(), rt.logger);
  await safe(() => rt.cacheStore.dispose?.(), rt.logger);
  await safe(() => rt.stateStore.dispose?.(), rt.logger);
  await safe(() => c.durable.store?.dispose?.(), rt.logger);
  await safe(() => c.flow.backend.dispose?.(), rt.logger);
  for (const s of rt.secrets) await safe(() => s.dispose?.(), rt.logger);
  for (const s of rt.auditSinks) await safe(() => s.dispose?.(), rt.logger);
  rt.inflight.clear();
  c.events.close();
  rt.container.dispose?.();
}

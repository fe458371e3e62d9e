import type { SchedulerLike } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { Engine } from '../engine/engine.js';
import type { AuditSink, CacheStore, Executor, Logger, PermissionPolicy, Scheduler, StateStore } from './types.js';

/**
 * Injection tokens of the engine's tsyringe child container. Resolve them in plugins (`api.container.resolve`) or
 * nodes (`ctx.resolve`); inject them with `@inject(Tokens.Logger)` on every constructor parameter.
 *
 * @example
 * ```ts
 * const logger = ctx.resolve(Tokens.Logger);
 * ```
 */
export const Tokens = {
  Engine: Symbol.for('flowlane.Engine') as InjectionToken<Engine>,
  Logger: Symbol.for('flowlane.Logger') as InjectionToken<Logger>,
  Clock: Symbol.for('flowlane.Clock') as InjectionToken<SchedulerLike>,
  CacheStore: Symbol.for('flowlane.CacheStore') as InjectionToken<CacheStore>,
  StateStore: Symbol.for('flowlane.StateStore') as InjectionToken<StateStore>,
  /** The engine's scheduler; `undefined` when none is set (nodes then start as soon as they are ready). */
  Scheduler: Symbol.for('flowlane.Scheduler') as InjectionToken<Scheduler | undefined>,
  PermissionPolicy: Symbol.for('flowlane.PermissionPolicy') as InjectionToken<PermissionPolicy>,
  /** The engine's audit sinks (for plugins that write their own records, e.g. permission decisions). */
  AuditSinks: Symbol.for('flowlane.AuditSinks') as InjectionToken<readonly AuditSink[]>,
  Executors: Symbol.for('flowlane.Executors') as InjectionToken<ReadonlyMap<string, Executor>>,
} as const;

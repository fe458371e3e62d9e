import type { SchedulerLike } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { Engine } from '../engine/engine.js';
import { TokenKeys } from './token-keys.js';
import type { AuditSink, CacheStore, Executor, Logger, PermissionPolicy, Scheduler, StateStore } from './types.js';

/**
 * Injection tokens of the engine's tsyringe child container. Resolve them in plugins (`api.container.resolve`) or
 * nodes (`ctx.resolve`); inject them with `@inject(Tokens.Logger)` on every constructor parameter.
 *
 * @example
 * ```ts
 * import { Tokens, workflow } from '@flowlane/core';
 *
 * workflow('w').addNode('greet', (ctx) => {
 *   const logger = ctx.resolve(Tokens.Logger);
 *   logger.info('hello');
 * });
 * ```
 */
export const Tokens = {
  Engine: TokenKeys.Engine as InjectionToken<Engine>,
  Logger: TokenKeys.Logger as InjectionToken<Logger>,
  Clock: TokenKeys.Clock as InjectionToken<SchedulerLike>,
  CacheStore: TokenKeys.CacheStore as InjectionToken<CacheStore>,
  StateStore: TokenKeys.StateStore as InjectionToken<StateStore>,
  /** The engine's scheduler; `undefined` when none is set (nodes then start as soon as they are ready). */
  Scheduler: TokenKeys.Scheduler as InjectionToken<Scheduler | undefined>,
  PermissionPolicy: TokenKeys.PermissionPolicy as InjectionToken<PermissionPolicy>,
  /** The engine's audit sinks (for plugins that write their own records, e.g. permission decisions). */
  AuditSinks: TokenKeys.AuditSinks as InjectionToken<readonly AuditSink[]>,
  Executors: TokenKeys.Executors as InjectionToken<ReadonlyMap<string, Executor>>,
} as const;

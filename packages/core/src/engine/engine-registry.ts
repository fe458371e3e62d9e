import { type Channel, channel } from 'node:diagnostics_channel';
import type { SchedulerLike, Subject } from 'rxjs';
import { type CustomEvent, FLOW_EVENT_TYPES, type FlowEvent } from '../contracts/events.js';
import { createDefaultPermissionPolicy } from '../defaults/default-permission-policy.js';
import { createEnvSecretsProvider } from '../defaults/env-secrets-provider.js';
import { createFifoScheduler } from '../defaults/fifo-scheduler.js';
import { createLocalExecutor } from '../defaults/local-executor.js';
import { createMemoryCacheStore } from '../defaults/memory-cache-store.js';
import { createMemoryStateStore } from '../defaults/memory-state-store.js';
import { createChildContainer } from '../plugin/container.js';
import { contain, type ExporterHook, type PluginRegistry } from '../plugin/plugin-host.js';
import { TokenKeys as Tokens } from '../plugin/token-keys.js';
import type { AuditSink, Executor, Logger } from '../plugin/types.js';
import { CustomEventBoard } from './custom-event-board.js';
import type { EngineOptions } from './engine-options.js';
import type { EngineServices } from './engine-services.js';
import { RunWatchers } from './run-watchers.js';

const CHANNELS = Object.fromEntries(FLOW_EVENT_TYPES.map((t) => [t, channel(`flowlane.${t}`)])) as Record<
  FlowEvent['type'],
  Channel
>;

/** The engine's services with the registrations plugins may change while they are set up. */
export type EngineRegistry<X> = EngineServices<X> & PluginRegistry;

/** What the registry needs from its engine: run bookkeeping (see {@link EngineServices}). */
export type EngineHooks<X> = Pick<EngineServices<X>, 'track' | 'startChild' | 'settled'> & {
  /** The engine's flow gate (made after the registry, so read on use). */
  readonly flow: () => EngineServices<X>['flow'];
};

/**
 * Every event of every run goes out here: exporters' `handle` first (called directly, failures contained), then
 * `engine.events$` (only when observed), triggers (custom events), and `diagnostics_channel` `flowlane.<type>` (only
 * when subscribed).
 */
export function createPublisher(
  hooks: readonly ExporterHook<FlowEvent>[],
  subject: Subject<FlowEvent>,
  onCustom: (e: CustomEvent) => void,
): (e: FlowEvent) => void {
  return (e) => {
    for (let k = 0; k < hooks.length; k++) {
      const hook = hooks[k]!;
      try {
        const r = hook.handle(e);
        // An async handle() that rejects is contained like a throwing one.
        if (r !== undefined) contain(r, e, hook);
      } catch (err) {
        hook.fail(e, err);
      }
    }
    if (subject.observed) subject.next(e);
    if (e.type === 'custom') onCustom(e);
    const ch = CHANNELS[e.type];
    if (ch.hasSubscribers) ch.publish(e);
  };
}

/**
 * Whether an event of a type would be heard by anyone {@link createPublisher} serves, now: an exporter, an
 * `engine.events$` subscriber or a `diagnostics_channel` subscriber of `flowlane.<type>`. Runs keep per-node events
 * nobody hears in a compact form (see `compact-event-log.ts`).
 */
export function createHeard(
  hooks: readonly ExporterHook<FlowEvent>[],
  subject: Subject<FlowEvent>,
): (type: FlowEvent['type']) => boolean {
  const started = CHANNELS['node.started'];
  const completed = CHANNELS['node.completed'];
  return (type) =>
    hooks.length > 0 ||
    subject.observed ||
    (type === 'node.started' ? started : type === 'node.completed' ? completed : CHANNELS[type]).hasSubscribers;
}

/** The engine's services from its options, with an in-memory default for everything not given. */
export function createEngineRegistry<X>(
  options: EngineOptions,
  clock: SchedulerLike,
  logger: Logger,
  memoryAudit: AuditSink,
  publish: (e: FlowEvent) => void,
  hooks: EngineHooks<X>,
  heard: (type: FlowEvent['type']) => boolean,
): EngineRegistry<X> {
  const conc = options.concurrency;
  const executors = new Map<string, Executor>([['local', createLocalExecutor()]]);
  for (const [name, ex] of Object.entries(options.executors ?? {})) executors.set(name, ex);
  return {
    clock,
    logger,
    middleware: [...(options.middleware ?? [])],
    scheduler:
      options.scheduler ??
      (conc !== undefined && conc !== Number.POSITIVE_INFINITY
        ? createFifoScheduler({ concurrency: conc })
        : undefined),
    executors,
    secrets: [...(options.secrets ?? [createEnvSecretsProvider()])],
    auditSinks: [...(options.audit ?? [memoryAudit])],
    propagators: [],
    runOrigins: new WeakMap(),
    cacheStore: options.cache ?? createMemoryCacheStore({ now: () => clock.now() }),
    stateStore: options.state ?? createMemoryStateStore(),
    permissionPolicy: options.permissions ?? createDefaultPermissionPolicy(),
    defaultPermissions: options.permissions === undefined,
    runQueue: undefined,
    inflight: new Map(),
    container: createChildContainer(options.container),
    lastCustom: new CustomEventBoard(),
    customListeners: new Map(),
    publish,
    runWatchers: new RunWatchers(),
    heard,
    artifactsDir: options.artifactsDir,
    redactAlso: options.redact?.also ?? [],
    track: hooks.track,
    startChild: hooks.startChild,
    settled: hooks.settled,
    get flow() {
      return hooks.flow();
    },
  };
}

/** The engine's services under their DI tokens (`Tokens.*`); plugin-provided ones are read when resolved. */
export function registerEngineTokens<X>(
  engine: object,
  rt: EngineRegistry<X>,
  logger: Logger,
  clock: SchedulerLike,
): void {
  const container = rt.container;
  container.register(Tokens.Engine, { useValue: engine });
  container.register(Tokens.Logger, { useValue: logger });
  container.register(Tokens.Clock, { useValue: clock });
  container.register(Tokens.Executors, { useValue: rt.executors });
  container.register(Tokens.AuditSinks, { useFactory: () => rt.auditSinks });
  container.register(Tokens.CacheStore, { useFactory: () => rt.cacheStore });
  container.register(Tokens.StateStore, { useFactory: () => rt.stateStore });
  container.register(Tokens.PermissionPolicy, { useFactory: () => rt.permissionPolicy });
  container.register(Tokens.Scheduler, { useFactory: () => rt.scheduler });
}

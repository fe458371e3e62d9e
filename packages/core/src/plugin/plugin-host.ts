import type { Observable } from 'rxjs';
import semver from 'semver';
import type { FlowEvent, SystemEvent } from '../contracts/events.js';
import type { FlowControlBackend } from '../contracts/flow-control.js';
import type { Run } from '../contracts/run-types.js';
import { propagationCarrier } from '../engine/propagation.js';
import type { RunWatcherHook, RunWatchers } from '../engine/run-watchers.js';
import { FlowlaneError, isFlowlaneError, serializeError } from '../errors.js';
import { CORE_VERSION } from '../version.js';
import type { ExecutionStore } from './contracts/execution-store.js';
import type { ContextPropagator } from './contracts/propagation.js';
import type { RunEventsView } from './contracts/run-events.js';
import type { RunGraph } from './contracts/run-graph.js';
import type { QueuedRun, RunQueue } from './contracts/run-queue.js';
import { guardEvents } from './guarded-events.js';
import type {
  AuditSink,
  CacheStore,
  Executor,
  FlowlanePlugin,
  Logger,
  Middleware,
  PermissionPolicy,
  PluginApi,
  PluginContainer,
  Scheduler,
  SecretsProvider,
  StateStore,
  WorkflowDescription,
} from './types.js';

/**
 * The plugin host: checks plugins statically (`checkPlugins`, at `createEngine`), then runs their `setup` one by one
 * with a {@link PluginApi} whose registrations land in the engine's registry (`setupPlugins`). Registrations are only
 * accepted while their plugin's setup runs, and each name has one owner.
 */

/** What plugins can change: the engine's registry of extension points (mutated only during setup). */
export interface PluginRegistry {
  readonly logger: Logger;
  readonly container: unknown;
  readonly runWatchers: RunWatchers;
  middleware: Middleware[];
  scheduler: Scheduler | undefined;
  executors: Map<string, Executor>;
  secrets: SecretsProvider[];
  auditSinks: AuditSink[];
  /** Context propagators (`api.propagation.add`), asked by `ctx.exec` and dispatch plugins. */
  propagators: ContextPropagator[];
  cacheStore: CacheStore;
  stateStore: StateStore;
  permissionPolicy: PermissionPolicy;
  defaultPermissions: boolean;
  runQueue: RunQueue | undefined;
}

/** The engine as the plugin host sees it. */
export interface PluginHostTarget {
  readonly registry: PluginRegistry;
  /** `kind:name` → the plugin that registered it. */
  readonly ownerOf: Map<string, string>;
  readonly eventHandlers: ExporterHook<FlowEvent>[];
  readonly systemHandlers: ExporterHook<SystemEvent>[];
  readonly events$: Observable<FlowEvent>;
  readonly systemEvents$: Observable<SystemEvent>;
  /** Publish a plugin's system event (`api.publishSystemEvent`); `source` is the plugin's name. */
  publishSystemEvent(event: SystemEvent, source: string): void;
  setExecutionStore(store: ExecutionStore): void;
  /** The engine's `resume` option (`api.executions.resume`). */
  readonly resumeMode: 'auto' | 'manual';
  setFlowControlBackend(backend: FlowControlBackend): void;
  /** Start a queued run with the definition registered under its name and version (`FL_VERSION_NOT_REGISTERED`). */
  startQueued(run: QueuedRun): Run;
  describeRun(executionId: string): WorkflowDescription | undefined;
  runGraph(executionId: string): RunGraph | undefined;
  runEvents(executionId: string): RunEventsView | undefined;
}

/**
 * How `engine.close()` reaches plugin setup still running: `signal` (`api.signal`) is aborted when close starts;
 * `givenUp` rejects once close stops waiting for a setup that ignored it (see engine-lifecycle.ts).
 */
export interface SetupControl {
  readonly signal: AbortSignal;
  readonly givenUp: Promise<never>;
}

/** One plugin's teardown (its disposer, then its `onClose` callbacks), run by `engine.close()`. */
export interface PluginTeardown {
  readonly owner: string;
  readonly fn: () => Promise<void>;
}

/** How many failures of one metrics exporter are logged one by one; later ones are counted and summed up on close. */
const LOGGED_EXPORTER_FAILURES = 10;

/** An exporter callback with the failure reporter of its exporter. */
export interface ExporterHook<E> {
  readonly handle: (e: E) => unknown;
  readonly fail: (e: E, error: unknown) => void;
}

/**
 * Failure reporting for one metrics exporter: a broken exporter must not flood the log with one line per event, so
 * the first {@link LOGGED_EXPORTER_FAILURES} failures are logged and `summary()` tells how many followed.
 */
export function exporterFailures(name: string, logger: Logger, what = 'metrics exporter') {
  let failures = 0;
  const fail =
    (on: string) =>
    (e: { readonly type: string }, error: unknown): void => {
      failures++;
      if (failures > LOGGED_EXPORTER_FAILURES) return;
      logger.error(`${what} "${name}" failed on ${on}`, {
        [what === 'plugin' ? 'plugin' : 'exporter']: name,
        type: e.type,
        error: serializeError(error, { stack: false }).message,
        ...(failures === LOGGED_EXPORTER_FAILURES ? { further: 'counted, logged once on close' } : {}),
      });
    };
  return {
    onEvent: fail('an event'),
    onSystemEvent: fail('a system event'),
    /** A subscriber of the plugin's `events$` (its own or the one given to `attach`) threw. */
    onSubscriber: (error: unknown, e?: { readonly type: string }) => fail('a subscriber')(e ?? { type: '-' }, error),
    summary(): void {
      if (failures > LOGGED_EXPORTER_FAILURES)
        logger.error(`${what} "${name}" failed ${failures} times in all`, {
          [what === 'plugin' ? 'plugin' : 'exporter']: name,
          failures,
          logged: LOGGED_EXPORTER_FAILURES,
        });
    },
  };
}

export async function setupPlugins(
  plugins: readonly FlowlanePlugin[],
  host: PluginHostTarget,
  control: SetupControl,
): Promise<PluginTeardown[]> {
  const rt = host.registry;
  const disposers: PluginTeardown[] = [];
  let sealedOwner: string | undefined;
  const claim = (kind: string, name: string, owner: string): void => {
    // Registrations change how workflows are planned: they are only allowed while the plugin's setup runs.
    if (sealedOwner !== owner)
      throw new FlowlaneError('FL_PLUGIN_INVALID', {
        plugin: owner,
        reason: `registered ${kind} "${name}" after its setup finished; register everything inside setup()`,
      });
    const key = `${kind}:${name}`;
    const first = host.ownerOf.get(key);
    if (first !== undefined) throw new FlowlaneError('FL_PLUGIN_CONFLICT', { kind, name, first, second: owner });
    host.ownerOf.set(key, owner);
  };
  const setups: {
    owner: string;
    disposer?: (() => void | Promise<void>) | undefined;
    onClose: (() => void | Promise<void>)[];
    /** Close stopped waiting for this setup: it is torn down when it settles, not with the others. */
    late?: true;
  }[] = [];
  // Settles (to GAVE_UP) only when close() stops waiting for a setup still running.
  const gaveUp = control.givenUp.then(
    () => GAVE_UP,
    () => GAVE_UP,
  );
  try {
    for (const plugin of plugins) {
      const owner = plugin.name;
      // engine.close() started: the setups not begun yet never run.
      if (control.signal.aborted) throw control.signal.reason;
      const entry: (typeof setups)[number] = { owner, onClose: [] };
      setups.push(entry);
      sealedOwner = owner;
      const pluginFailures = exporterFailures(owner, rt.logger, 'plugin');
      entry.onClose.push(() => pluginFailures.summary());
      const api: PluginApi = {
        coreVersion: CORE_VERSION,
        executors: {
          register: (name, executor) => {
            claim('executor', name, owner);
            rt.executors.set(name, executor);
          },
          get: (name) => rt.executors.get(name),
        },
        propagation: {
          add: (propagator) => {
            if (typeof propagator !== 'object' || propagator === null || typeof propagator.name !== 'string')
              throw new FlowlaneError('FL_PLUGIN_INVALID', {
                plugin: owner,
                reason: 'api.propagation.add() expects a propagator object with a name',
              });
            claim('context propagator', propagator.name, owner);
            rt.propagators.push(propagator);
          },
          carrier: (scope) => propagationCarrier(rt.propagators, scope, rt.logger),
        },
        schedulers: {
          set: (scheduler) => {
            claim('scheduler', 'scheduler', owner);
            rt.scheduler = scheduler;
          },
        },
        middleware: {
          use: (mw) => {
            claim('middleware', String(rt.middleware.length), owner);
            rt.middleware.push(mw);
          },
        },
        secrets: {
          addProvider: (p) => {
            claim('secrets provider', p.name, owner);
            rt.secrets.push(p);
          },
        },
        audit: {
          addSink: (s) => {
            claim('audit sink', s.name, owner);
            rt.auditSinks.push(s);
          },
        },
        metrics: {
          addExporter: (x) => {
            claim('metrics exporter', x.name, owner);
            if (
              typeof x.handle !== 'function' &&
              typeof x.attach !== 'function' &&
              typeof x.handleSystem !== 'function'
            )
              throw new FlowlaneError('FL_PLUGIN_INVALID', {
                plugin: owner,
                reason: `metrics exporter "${x.name}" needs handle(), handleSystem() or attach()`,
              });
            const failures = exporterFailures(x.name, rt.logger);
            entry.onClose.push(() => failures.summary());
            if (typeof x.handle === 'function') {
              const hook: ExporterHook<FlowEvent> = { handle: x.handle.bind(x), fail: failures.onEvent };
              host.eventHandlers.push(hook);
              entry.onClose.push(() => {
                const k = host.eventHandlers.indexOf(hook);
                if (k !== -1) host.eventHandlers.splice(k, 1);
              });
            }
            if (typeof x.handleSystem === 'function') {
              const hook: ExporterHook<SystemEvent> = {
                handle: x.handleSystem.bind(x),
                fail: failures.onSystemEvent,
              };
              host.systemHandlers.push(hook);
              entry.onClose.push(() => {
                const k = host.systemHandlers.indexOf(hook);
                if (k !== -1) host.systemHandlers.splice(k, 1);
              });
            }
            const teardown = x.attach?.(guardEvents(host.events$, failures.onSubscriber));
            if (typeof teardown === 'function') entry.onClose.push(teardown);
            if (x.dispose) entry.onClose.push(() => x.dispose!());
          },
        },
        cache: {
          setStore: (s) => {
            claim('cache store', 'cache', owner);
            rt.cacheStore = s;
          },
        },
        state: {
          setStore: (s) => {
            claim('state store', 'state', owner);
            rt.stateStore = s;
          },
        },
        executions: {
          setStore: (s) => {
            claim('execution store', 'executions', owner);
            host.setExecutionStore(s);
          },
          resume: host.resumeMode,
        },
        flowControl: {
          setBackend: (b) => {
            claim('flow-control backend', 'flowControl', owner);
            host.setFlowControlBackend(b);
          },
        },
        runQueue: {
          set: (q) => {
            claim('run queue', 'runQueue', owner);
            rt.runQueue = q;
          },
          start: (run) => host.startQueued(run),
        },
        permissions: {
          setPolicy: (p) => {
            claim('permission policy', 'permissions', owner);
            rt.permissionPolicy = p;
            rt.defaultPermissions = false;
          },
        },
        container: rt.container as unknown as PluginContainer,
        events$: guardEvents(host.events$, pluginFailures.onSubscriber),
        systemEvents$: guardEvents(host.systemEvents$, pluginFailures.onSubscriber),
        publishSystemEvent: (e) => host.publishSystemEvent(e, owner),
        describeRun: (id) => host.describeRun(id),
        runGraph: (id) => host.runGraph(id),
        runEvents: (id) => host.runEvents(id),
        watchRuns: (watcher) => {
          if (
            typeof watcher !== 'object' ||
            watcher === null ||
            typeof watcher.name !== 'string' ||
            (typeof watcher.started !== 'function' && typeof watcher.settled !== 'function')
          )
            throw new FlowlaneError('FL_PLUGIN_INVALID', {
              plugin: owner,
              reason: 'api.watchRuns() expects { name, started?(run, event), settled?(run, event) } with a callback',
            });
          claim('run watcher', watcher.name, owner);
          const failures = exporterFailures(watcher.name, rt.logger, 'run watcher');
          entry.onClose.push(() => failures.summary());
          const hook: RunWatcherHook = { watcher, fail: failures.onEvent };
          rt.runWatchers.hooks.push(hook);
          entry.onClose.push(() => {
            const k = rt.runWatchers.hooks.indexOf(hook);
            if (k !== -1) rt.runWatchers.hooks.splice(k, 1);
          });
        },
        logger: rt.logger,
        onClose: (fn) => void entry.onClose.push(fn),
        signal: control.signal,
      };
      let setup: Promise<unknown>;
      try {
        setup = Promise.resolve(plugin.setup(api));
      } catch (e) {
        setup = Promise.reject(e);
      }
      let disposer: unknown;
      try {
        disposer = await Promise.race([setup, gaveUp]);
      } catch (e) {
        if (isFlowlaneError(e, 'FL_PLUGIN_CONFLICT')) throw e;
        // A setup that gave up because close() aborted its signal: the engine is closed, say so.
        if (control.signal.aborted) throw new FlowlaneError('FL_ENGINE_CLOSED', {}, { cause: e });
        throw new FlowlaneError(
          'FL_PLUGIN_SETUP_FAILED',
          { plugin: owner, reason: serializeError(e).message },
          { cause: e },
        );
      }
      if (disposer === GAVE_UP) {
        lateTeardown(setup, entry, rt.logger);
        throw control.signal.reason;
      }
      if (typeof disposer === 'function') entry.disposer = disposer as () => void | Promise<void>;
      sealedOwner = undefined;
    }
  } catch (e) {
    sealedOwner = undefined;
    // Dispose what was set up, newest first, then report the first failure.
    for (const s of setups.reverse()) {
      if (s.late) continue;
      for (const fn of [s.disposer, ...s.onClose]) if (fn) await safe(fn, rt.logger);
    }
    // Not closed: later runs fail with this error (FL_PLUGIN_SETUP_FAILED), also when setup threw synchronously.
    throw e;
  }
  for (const s of setups) {
    const fns = [s.disposer, ...s.onClose].filter((f): f is () => void | Promise<void> => f !== undefined);
    disposers.push({
      owner: s.owner,
      fn: async () => {
        for (const f of fns) await f();
      },
    });
  }
  return disposers;
}

/** What a setup's race yields when `engine.close()` stopped waiting for it. */
const GAVE_UP: unique symbol = Symbol('gave up');

/**
 * `engine.close()` stopped waiting for a setup that ignored `api.signal`: tear the plugin down whenever the setup
 * settles (its disposer if it returned one, then its `onClose` callbacks), so what it acquired late is released.
 */
function lateTeardown(
  setup: Promise<unknown>,
  entry: { owner: string; onClose: (() => void | Promise<void>)[]; late?: true },
  logger: Logger,
): void {
  entry.late = true;
  logger.error('plugin setup ignored engine.close(); it is torn down when its setup settles', { plugin: entry.owner });
  const teardown = async (disposer: unknown) => {
    const fns = [typeof disposer === 'function' ? (disposer as () => unknown) : undefined, ...entry.onClose];
    for (const fn of fns) if (fn) await safe(fn, logger);
  };
  setup.then(teardown, () => teardown(undefined));
}

export function checkPlugins(plugins: readonly FlowlanePlugin[]): void {
  const seen = new Set<string>();
  for (const p of plugins) {
    if (typeof p !== 'object' || p === null || typeof p.setup !== 'function' || typeof p.name !== 'string')
      throw new FlowlaneError('FL_PLUGIN_INVALID', {
        plugin: String((p as { name?: unknown } | null)?.name ?? '(unnamed)'),
        reason: 'not a plugin: create it with definePlugin()',
      });
    if (seen.has(p.name))
      throw new FlowlaneError('FL_PLUGIN_CONFLICT', { kind: 'plugin', name: p.name, first: p.name, second: p.name });
    if (
      semver.validRange(p.flowlane) === null ||
      !semver.satisfies(CORE_VERSION, p.flowlane, { includePrerelease: true })
    )
      throw new FlowlaneError('FL_PLUGIN_INCOMPATIBLE', {
        plugin: p.name,
        range: String(p.flowlane),
        core: CORE_VERSION,
      });
    for (const dep of p.dependsOn ?? [])
      if (!seen.has(dep)) throw new FlowlaneError('FL_PLUGIN_DEPENDENCY_MISSING', { plugin: p.name, dependency: dep });
    seen.add(p.name);
  }
}

/** Routes the rejection of an exporter's async callback to its failure reporter. */
export function contain<E>(r: unknown, e: E, hook: ExporterHook<E>): void {
  if (typeof (r as PromiseLike<unknown>).then === 'function')
    (r as PromiseLike<unknown>).then(undefined, (err: unknown) => hook.fail(e, err));
}

export async function safe(fn: () => unknown, logger: Logger): Promise<void> {
  try {
    await fn();
  } catch (e) {
    logger.error('dispose failed', { error: serializeError(e).message });
  }
}

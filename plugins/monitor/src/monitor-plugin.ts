import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { CORE_VERSION, definePlugin, type Engine, type FlowlanePlugin, type PluginApi, Tokens } from '@flowlane/core';
import type { Subscription } from 'rxjs';
import { createAuthorizer } from './authorize.js';
import { serveDashboard } from './dashboard-assets.js';
import { MonitorError } from './errors.js';
import { MonitorHub, type MonitorStats } from './monitor-hub.js';
import { type MonitorOptions, resolveOptions } from './options.js';
import { RunRecorder } from './run-history.js';
import { StoreFollower, storeHistory } from './store-follower.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/**
 * `node:http`'s `createServer`, taken from node's own module rather than through an ES `import`: importing a builtin
 * as an ES module reads every one of its exports, and on Node 22+ `http`'s lazy `WebSocket`, `CloseEvent`, … load
 * undici, `http2` and `assert` (≈ 2 MB of heap kept for the process's life, marked by every major GC of the engine).
 */
const { createServer } = process.getBuiltinModule('node:http');

const engineOf = (api: PluginApi): Engine => api.container.resolve(Tokens.Engine);

/**
 * The core APIs the monitor is built on. The engine already refuses a core outside `CORE_RANGE` (which the release
 * script keeps at `^<the release's core version>`); this catches a core build of that version made before them.
 */
function requireCoreApis(api: PluginApi): void {
  const missing = (['watchRuns', 'runEvents', 'runGraph'] as const).filter(
    (name) => typeof (api as Partial<PluginApi>)[name] !== 'function',
  );
  if (missing.length > 0)
    throw new MonitorError('FL_MONITOR_CORE_INCOMPATIBLE', {
      core: CORE_VERSION,
      missing: missing.map((m) => `PluginApi.${m}`).join(', '),
    });
}

/** The plugin returned by {@link monitor}: a Flowlane plugin plus the monitor's address and counters. */
export interface MonitorPlugin extends FlowlanePlugin {
  /** `http://host:port` of the dashboard (WebSocket at `/ws`). Known once the engine is ready. */
  readonly url: string;
  /** The dashboard page of one run (or the run list without an id). Add `#token=<token>` to log the page in. */
  dashboardUrl(executionId?: string): string;
  /** Serves the dashboard's files on your own server (with `server`); false for any other path. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Connected clients, dropped slow clients, refused upgrades, events seen. */
  stats(): MonitorStats;
}

/**
 * A live monitor: an authenticated WebSocket event stream at `/ws` with a versioned JSON protocol, history for late
 * subscribers, and a dashboard page (live DAG, run list, event log, report) served by the same server.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { monitor } from '@flowlane/monitor';
 *
 * const mon = monitor({ port: 0, token: process.env.MONITOR_TOKEN ?? 'change-me-please' });
 * const engine = createEngine({ plugins: [mon] });
 * await engine.ready();
 * const run = engine.run(workflow('hello').addNode('a', () => 1).build(), undefined);
 * console.log(mon.dashboardUrl(run.executionId).startsWith(mon.url)); // true
 * await run.result;
 * await engine.close();
 * ```
 */
export function monitor(options: MonitorOptions): MonitorPlugin {
  const o = resolveOptions(options);
  let url: string | undefined;
  let hub: MonitorHub | undefined;
  let stats: MonitorStats = { clients: 0, droppedSlowClients: 0, refused: 0, events: 0 };

  const addressOf = (server: Server): string | undefined => {
    const a = server.address() as AddressInfo | string | null;
    if (a === null || typeof a === 'string') return undefined;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${a.port}`;
  };
  const currentUrl = (): string => {
    url ??= o.server === undefined ? undefined : addressOf(o.server);
    if (url === undefined) throw new MonitorError('FL_MONITOR_NOT_LISTENING', { property: 'url' });
    return url;
  };

  const base = definePlugin({
    name: '@flowlane/monitor',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    async setup(api) {
      requireCoreApis(api);
      const recorder = new RunRecorder(o.maxRuns, o.maxEventsPerRun, o.maxEvents);
      // Live events only while a client is connected: the monitor listens to the engine's stream from the first
      // client's connection to the last one's close.
      let live: Subscription | undefined;
      const h: MonitorHub = new MonitorHub({
        authorize: createAuthorizer(o),
        recorder,
        history: o.history ?? (o.followStoreMs === undefined ? undefined : storeHistory(() => engineOf(api).runs)),
        maxBufferedBytes: o.maxBufferedBytes,
        heartbeatMs: o.heartbeatInterval,
        closeGraceMs: 2000,
        logger: api.logger,
        listen: (on) => {
          live?.unsubscribe();
          live = undefined;
          // The graph's handle must be taken while the run is active (a run of plain nodes may settle before the next
          // tick); it is described when the event is sent, as core's JSON text.
          if (on)
            live = api.events$.subscribe((e) =>
              h.push(e, e.type === 'workflow.started' ? api.runGraph(e.executionId) : undefined),
            );
        },
      });
      hub = h;
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
        if (!h.handleUpgrade(req, socket, head) && o.server === undefined) socket.destroy();
      };
      let own: Server | undefined;
      if (o.server === undefined) {
        own = createServer((req, res) => {
          if (serveDashboard(req, res)) return;
          res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
          res.end(req.url === '/healthz' ? 'ok' : 'Not found');
        });
        own.on('upgrade', onUpgrade);
        const server = own;
        await new Promise<void>((resolve, reject) => {
          server.once('error', (e: Error) =>
            reject(
              new MonitorError(
                'FL_MONITOR_SERVER_FAILED',
                { host: o.host, port: o.port ?? 0, reason: e.message },
                { cause: e },
              ),
            ),
          );
          server.listen(o.port, o.host, () => resolve());
        }).catch(async (e: unknown) => {
          await h.close();
          throw e;
        });
        url = addressOf(server);
      } else o.server.on('upgrade', onUpgrade);

      const follows = o.followStoreMs !== undefined;
      const local = new Set<string>();
      const localCap = Math.max(10_000, o.maxRuns * 10);
      // Runs are kept by reference to core's own log of each (`watchRuns`): the engine calls the monitor once when a
      // run starts and once when it settles, never per event, while no client is connected.
      api.watchRuns({
        name: '@flowlane/monitor',
        started(run, e) {
          const id = run.executionId;
          if (follows) {
            // Runs this engine executes come live from here: the store follower skips them. Bounded (FIFO): the
            // follower only looks at the newest `maxRuns` runs and the running ones.
            local.add(id);
            if (local.size > localCap) local.delete(local.values().next().value as string);
          }
          // The graph's handle, not its description: described only when a client asks for this run's history.
          recorder.start(e, api.runGraph(id), run);
        },
        settled: (run) => recorder.settle(run.executionId),
      });
      let follower: StoreFollower | undefined;
      if (o.followStoreMs !== undefined) {
        follower = new StoreFollower(
          () => engineOf(api).runs,
          (e, d) => {
            recorder.append(e, d);
            h.push(e, d);
          },
          (id) => local.has(id),
          o.followStoreMs,
          o.maxRuns,
          (e) =>
            api.logger.warn('reading the execution store failed', {
              error: e instanceof Error ? e.message : String(e),
            }),
        );
        // After the engine is ready (its store is set up); the first poll runs at once.
        queueMicrotask(() => follower?.start());
      }
      let alerts: Subscription | undefined;
      if (o.alerts !== undefined) alerts = o.alerts.alerts$.subscribe((list) => h.setAlerts(list));

      return async () => {
        await follower?.stop();
        alerts?.unsubscribe();
        await h.close();
        live?.unsubscribe();
        stats = h.stats();
        if (own !== undefined) {
          own.closeAllConnections();
          await new Promise<void>((resolve) => own.close(() => resolve()));
        } else o.server?.off('upgrade', onUpgrade);
        hub = undefined;
      };
    },
  });

  const plugin = Object.create(null) as Record<string, unknown>;
  Object.assign(plugin, base);
  Object.defineProperties(plugin, {
    url: { enumerable: true, get: currentUrl },
    dashboardUrl: {
      enumerable: true,
      value: (executionId?: string) =>
        executionId === undefined ? `${currentUrl()}/` : `${currentUrl()}/?run=${encodeURIComponent(executionId)}`,
    },
    handleRequest: { enumerable: true, value: serveDashboard },
    stats: { enumerable: true, value: () => hub?.stats() ?? stats },
  });
  return Object.freeze(plugin) as unknown as MonitorPlugin;
}

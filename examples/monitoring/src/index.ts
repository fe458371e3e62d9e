import { randomBytes } from 'node:crypto';
import {
  type AlertChannel,
  type AlertingPlugin,
  alerting,
  duration,
  errorRate,
  nodeFailed,
  noProgress,
  webhookChannel,
} from '@flowlane/alerting';
import { createEngine, type Engine, workflow } from '@flowlane/core';
import { type MonitorPlugin, monitor } from '@flowlane/monitor';

/** Seed 003's deployment: build → test → deploy to two regions (one flaky) → verify, with a fallback and a retry. */
export const deploy = workflow('deploy')
  .input<{ version: string; failRate: number; verifyFailRate: number }>()
  .addNode('build', async (ctx) => {
    await sleep(20 + Math.random() * 40);
    return `app:${ctx.input.version}`;
  })
  .addNode('test', async () => sleep(30 + Math.random() * 60).then(() => 'passed'), { dependsOn: ['build'] })
  .addNode(
    'deploy-eu',
    async (ctx) => {
      await sleep(20 + Math.random() * 40);
      if (ctx.attempt === 1 && Math.random() < 0.3) throw new Error('eu registry timeout');
      return 'eu ok';
    },
    { dependsOn: ['test'], retry: { maxAttempts: 3, initialInterval: 20 } },
  )
  .addNode(
    'deploy-us',
    async (ctx) => {
      await sleep(20 + Math.random() * 40);
      if (Math.random() < ctx.input.failRate) throw new Error('us cluster unreachable');
      return 'us ok';
    },
    { dependsOn: ['test'], fallback: 'deploy-us-backup' },
  )
  .addNode('deploy-us-backup', async () => sleep(30).then(() => 'us backup ok'))
  .addNode(
    'verify',
    async (ctx) => {
      await sleep(10);
      if (Math.random() < ctx.input.verifyFailRate) throw new Error('smoke test failed');
      return 'verified';
    },
    { dependsOn: ['deploy-eu', 'deploy-us'] },
  )
  .build();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Prints alerts on the console (used when no webhook URL is given). */
const consoleChannel: AlertChannel = {
  kind: 'console',
  target: 'stdout',
  send: async (n) => {
    console.log(`[alert] ${n.status.toUpperCase()} ${n.severity} ${n.id}: ${n.message}`);
  },
};

export interface MonitoringDemoOptions {
  /** Port of the monitor (0 picks a free one). Default 4400. */
  port?: number;
  /** Token for the dashboard and the WebSocket. Default: MONITOR_TOKEN, else a random one. */
  token?: string;
  /** Where alerts are POSTed (generic webhook); default: printed on the console. */
  webhookUrl?: string;
  /** Pause between runs in ms. Default 1000. */
  intervalMs?: number;
  /** Share of failing `deploy-us` attempts (they fall back). Default 0.3. */
  failRate?: number;
  /** Share of failing `verify` nodes (the run fails). Default half of `failRate`. */
  verifyFailRate?: number;
}

export interface MonitoringDemo {
  engine: Engine;
  monitor: MonitorPlugin;
  alerts: AlertingPlugin;
  token: string;
  /** The dashboard, with the token in the URL fragment (never sent to the server). */
  dashboardUrl: string;
  runs(): number;
  stop(): Promise<void>;
}

/** Starts an engine with the monitor and alerting (seed 003's rules) and runs `deploy` every `intervalMs`. */
export async function startMonitoringDemo(options: MonitoringDemoOptions = {}): Promise<MonitoringDemo> {
  const token = options.token ?? process.env.MONITOR_TOKEN ?? randomBytes(18).toString('base64url');
  const alerts = alerting({
    rules: [
      errorRate({ above: 0.1, window: 5 * 60_000, minRuns: 5 }), // seed: error_rate > 0.1 over 5 min
      duration({ above: 300_000 }), // seed: duration > 300000
      noProgress({ for: 10 * 60_000 }), // seed: no_progress > 10m
      nodeFailed({ nodeId: 'verify', severity: 'critical' }),
    ],
    channels: {
      ops: options.webhookUrl === undefined ? consoleChannel : webhookChannel({ url: options.webhookUrl }),
    },
    cooldown: 60_000,
  });
  const mon = monitor({ port: options.port ?? 4400, token, alerts });
  const engine = createEngine({ plugins: [alerts, mon] });
  await engine.ready();

  let stopped = false;
  let finished = 0;
  let wake: (() => void) | undefined;
  let n = 0;
  const loop = (async () => {
    while (!stopped) {
      n++;
      const failRate = options.failRate ?? 0.3;
      await engine.run(deploy, {
        version: `1.4.${n}`,
        failRate,
        verifyFailRate: options.verifyFailRate ?? failRate / 2,
      }).result;
      finished++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs ?? 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    engine,
    monitor: mon,
    alerts,
    token,
    dashboardUrl: `${mon.dashboardUrl()}#token=${encodeURIComponent(token)}`,
    runs: () => finished,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        wake?.();
        await loop;
        await engine.close();
      })();
      return stopping;
    },
  };
}

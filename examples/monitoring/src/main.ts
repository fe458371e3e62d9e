// `pnpm start`: runs the `deploy` workflow every second with the live monitor and alerting; Ctrl-C stops it.
//   PORT=4400 MONITOR_TOKEN=… WEBHOOK_URL=https://… pnpm --filter @flowlane/example-monitoring start
import { startMonitoringDemo } from './index.js';

const demo = await startMonitoringDemo({
  port: Number(process.env.PORT ?? 4400),
  ...(process.env.WEBHOOK_URL === undefined ? {} : { webhookUrl: process.env.WEBHOOK_URL }),
});
console.log(`Dashboard: ${demo.dashboardUrl}`);
console.log(`WebSocket: ${demo.monitor.url.replace('http', 'ws')}/ws  (Authorization: Bearer <token>)`);
console.log('Running workflow "deploy" every second; alerts print here (or go to WEBHOOK_URL). Ctrl-C stops it.');

let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.log(`\nStopping after ${demo.runs()} runs…`);
  demo.stop().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
});

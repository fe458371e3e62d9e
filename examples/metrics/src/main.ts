// `pnpm start`: runs the `etl` workflow every 500 ms and serves its metrics; Ctrl-C stops it.
//   PORT=9464 HOST=127.0.0.1 pnpm start   then   curl http://127.0.0.1:9464/metrics
import { startMetricsDemo } from './index.js';

const demo = await startMetricsDemo({
  port: Number(process.env.PORT ?? 9464),
  host: process.env.HOST ?? '127.0.0.1',
});
console.log(`Running workflow "etl" every 500 ms. Metrics: curl ${demo.url}  (Ctrl-C to stop)`);

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

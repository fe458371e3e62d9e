import { createEnvSecretsProvider } from '@flowlane/core';
import {
  bigWorkflow,
  closeCounter,
  failingWorkflow,
  sleepWorkflow,
  smallWorkflow,
  timeoutWorkflow,
} from './dist-workflow.test-helper.js';
import { createWorker } from './worker.js';

const [url, group, id, concurrency] = process.argv.slice(2) as [string, string, string, string];
const worker = await createWorker({
  connection: url,
  group,
  id,
  workflows: [bigWorkflow(), sleepWorkflow, smallWorkflow, failingWorkflow, timeoutWorkflow],
  engine: { secrets: [createEnvSecretsProvider()] },
  concurrency: Number(concurrency),
  heartbeatInterval: 200,
  // A killed worker's jobs are found stalled within lockDuration + stalledInterval. At 5 s, a live worker's lock
  // renewal (every lockDuration / 2) held up for seconds by a loaded CI machine could also lapse: its running jobs
  // (maxStalledCount 0) then fail and run again, which the crash tests count as re-runs.
  lockDuration: 10_000,
  stalledInterval: 1000,
  maxPayloadBytes: 1000,
});
process.stdout.write('READY\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => {
    closeCounter();
    process.exit(0);
  });
});

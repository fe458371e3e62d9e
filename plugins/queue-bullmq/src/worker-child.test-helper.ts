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
  lockDuration: 5000,
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

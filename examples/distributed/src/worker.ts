/** A worker process: `tsx src/worker.ts <redisUrl> <group> <id>`; prints READY; SIGTERM closes it gracefully. */
import 'reflect-metadata';
import { createWorker } from '@flowlane/queue-bullmq';
import { closeJournal, shardsWorkflow, tasksWorkflow } from './workflows.js';

const [url, group, id] = process.argv.slice(2) as [string, string, string];
const worker = await createWorker({
  connection: url,
  group,
  id,
  workflows: [tasksWorkflow(), shardsWorkflow()],
  concurrency: group === 'tasks' ? 1 : 2,
  heartbeatInterval: 200,
});
console.log('READY');
process.on('SIGTERM', () => {
  void worker.close().then(() => {
    closeJournal();
    process.exit(0);
  });
});

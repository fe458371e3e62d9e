// Worker process of D2: `node bullmq-worker.mjs <raw|flowlane> <redisUrl> <concurrency> [root]`. Prints READY; SIGTERM
// closes. With `root`, @flowlane/core and @flowlane/queue-bullmq come from that built tree (see bullmq.mjs --root).
import 'reflect-metadata';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { d2Workflow, loadFlowlane } from './bullmq-workflow.mjs';

const [mode, url, concurrency, root] = process.argv.slice(2);
let close;
if (mode === 'raw') {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const worker = new Worker('raw', async (job) => job.data.i * 2, {
    connection,
    prefix: 'd2',
    concurrency: Number(concurrency),
  });
  await worker.waitUntilReady();
  close = async () => {
    await worker.close();
    connection.disconnect();
  };
} else {
  const { core, qb } = await loadFlowlane(root);
  const worker = await qb.createWorker({
    connection: url,
    group: 'd2',
    queuePrefix: 'd2',
    workflows: [d2Workflow(core)],
    concurrency: Number(concurrency),
  });
  close = () => worker.close();
}
console.log('READY');
process.on('SIGTERM', () => void close().then(() => process.exit(0)));

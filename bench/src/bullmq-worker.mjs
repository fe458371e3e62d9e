// Worker process of D2: `node bullmq-worker.mjs <raw|flowlane> <redisUrl> <concurrency>`. Prints READY; SIGTERM closes.
import 'reflect-metadata';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { d2Workflow } from './bullmq-workflow.mjs';

const [mode, url, concurrency] = process.argv.slice(2);
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
  const { createWorker } = await import('@flowlane/queue-bullmq');
  const worker = await createWorker({
    connection: url,
    group: 'd2',
    queuePrefix: 'd2',
    workflows: [d2Workflow()],
    concurrency: Number(concurrency),
  });
  close = () => worker.close();
}
console.log('READY');
process.on('SIGTERM', () => void close().then(() => process.exit(0)));

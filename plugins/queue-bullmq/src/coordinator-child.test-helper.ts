/**
 * Coordinator child of the failover test: `node --import tsx coordinator-child.test-helper.ts <redisUrl> <executionId> <start|resume>`.
 * Runs (or resumes) the 1,000-node workflow with the Redis execution log and BullMQ dispatch; prints `READY`, then
 * `RESULT <json>` when the run settles. The parent kills it with SIGKILL mid-run.
 */
import 'reflect-metadata';
import { createEngine, type Run } from '@flowlane/core';
import { redisStore } from '@flowlane/store-redis';
import { bullmqDispatch } from './dispatch.js';
import { bigWorkflow } from './dist-workflow.test-helper.js';

const [url, executionId, mode] = process.argv.slice(2) as [string, string, string];
const wf = bigWorkflow();
const engine = createEngine({
  plugins: [redisStore({ url, prefix: 'log:' }), bullmqDispatch({ connection: url, groups: ['cpu', 'gpu'] })],
  workflows: [wf],
  leaseMs: 60_000,
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
let run: Run;
if (mode === 'start') run = engine.run(wf, { k: 3 }, { executionId });
else run = await engine.resume(executionId);
console.log('READY');
const result = await run.result;
console.log(
  `RESULT ${JSON.stringify({ status: result.status, outputs: result.outputs, error: result.error?.message })}`,
);
await engine.close();

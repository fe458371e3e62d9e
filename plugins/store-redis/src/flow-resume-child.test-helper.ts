/**
 * Child process of the flow-control resume test: `node --import tsx flow-resume-child.test-helper.ts <redisUrl> <executionId>`.
 * Starts a durable run of `durable-job` (tenant `acme`) with the Redis execution store and flow-control backend,
 * prints `HOLDING` once its node is inside (holding acme's only slot), and waits to be killed.
 */
import 'reflect-metadata';
import { createEngine } from '@flowlane/core';
import { durableJob, RESUME_PREFIX } from './flow-resume-workflow.test-helper.js';
import { redisStore } from './index.js';

const [url, executionId] = process.argv.slice(2) as [string, string];
let inside!: () => void;
const entered = new Promise<void>((r) => {
  inside = r;
});
const wf = durableJob(async () => {
  inside();
  await new Promise(() => undefined);
});
const engine = createEngine({
  plugins: [
    redisStore({
      url,
      prefix: RESUME_PREFIX,
      stores: ['executions', 'flowControl'],
      flowControl: { leaseMs: 120_000, pollIntervalMs: 20 },
    }),
  ],
  workflows: [wf],
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
void engine.run(wf, { tenant: 'acme' }, { executionId });
await entered;
// The run is in the log (the test resumes it from there).
while ((await engine.runs.get(executionId)) === undefined) await new Promise((r) => setTimeout(r, 2));
console.log('HOLDING');

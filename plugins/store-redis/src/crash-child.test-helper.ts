/**
 * Child process of the crash test: `node --import tsx crash-child.test-helper.ts <redisUrl> <executionId> <start|resume> <bodiesFile>`.
 * Starts (or resumes) the crash workflow on Redis, prints `READY` once the run (or this takeover) is in the log, sends the `approve`
 * signal unless the log already has it, and prints `RESULT <json>` when the run settles. The parent kills it with
 * SIGKILL at random points.
 */
import 'reflect-metadata';
import { createEngine, type Run } from '@flowlane/core';
import { CONCURRENCY, crashWorkflow } from './crash-workflow.test-helper.js';
import { redisStore } from './index.js';

const [url, executionId, mode, bodiesFile] = process.argv.slice(2) as [string, string, string, string];
const wf = crashWorkflow(bodiesFile);
const engine = createEngine({
  plugins: [redisStore({ url, prefix: 'crash:' })],
  workflows: [wf],
  concurrency: CONCURRENCY,
  leaseMs: 60_000,
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
let run: Run;
async function countResumed(): Promise<number> {
  return ((await engine.runs.records(executionId)) ?? []).filter((r) => r.type === 'workflow.resumed').length;
}
if (mode === 'start') {
  run = engine.run(wf, {}, { executionId });
  while ((await engine.runs.get(executionId)) === undefined) await new Promise((r) => setTimeout(r, 2));
} else {
  // READY means this process's takeover is in the log: a kill right after it still leaves a `workflow.resumed`
  // record behind (under load the record's write can lag the resume call by more than the shortest kill point).
  const resumedBefore = await countResumed();
  run = await engine.resume(executionId);
  while ((await countResumed()) === resumedBefore) await new Promise((r) => setTimeout(r, 2));
}
console.log('READY');
const records = (await engine.runs.records(executionId)) ?? [];
if (!records.some((r) => r.type === 'signal.received')) await run.signal('approve', 'yes');
const result = await run.result;
console.log(
  `RESULT ${JSON.stringify({ status: result.status, outputs: result.outputs, error: result.error?.message })}`,
);
await engine.close();

import { readlink } from 'node:fs/promises';
import { createEngine } from '@flowlane/core';
import { startEnvironments } from './environments.js';
import { executorLabels, formatEvent } from './format-event.js';
import { createReleasePipeline, type ReleaseInput } from './pipeline.js';

// Starts the four environments on this machine (real dockerd and sshd, the fake Kubernetes API server), releases
// 1.0.0, then 1.1.0 with a failing smoke test (rolled back to 1.0.0), printing every event as it happens, and disposes
// everything. Exits 1 if either release does not end as expected.

const started = performance.now();
const env = await startEnvironments();
console.log(`environments ready in ${Math.round(performance.now() - started)} ms (${env.dir})`);
const { workflow, plugins } = createReleasePipeline(env.settings);
const engine = createEngine({ plugins, artifactsDir: env.artifactsDir });
const where = executorLabels(workflow.toJSON());

const current = () => readlink(`${env.settings.deployRoot}/current`).catch(() => '(none)');

async function release(input: ReleaseInput): Promise<'success' | 'failed' | 'cancelled'> {
  console.log(`\n▶ release ${input.version}${input.failVerify === true ? ' (its smoke test will fail)' : ''}`);
  const run = engine.run(workflow, input);
  let t0: number | undefined;
  run.events$.subscribe((e) => {
    const line = formatEvent(e, (t0 ??= e.timestamp), where);
    if (line !== undefined) console.log(line);
  });
  const result = await run.result;
  console.log(`■ ${result.status} — ${env.settings.deployRoot}/current → ${await current()}`);
  return result.status;
}

let ok = false;
try {
  ok = (await release({ version: '1.0.0' })) === 'success';
  ok = (await release({ version: '1.1.0', failVerify: true })) === 'failed' && ok;
  ok = (await current()) === 'releases/1.0.0' && ok;
  await engine.close();
  console.log('\nleft behind:', await env.leftovers());
} finally {
  await engine.close();
  await env.dispose();
}
console.log(`${ok ? 'done' : 'unexpected outcome'} in ${Math.round(performance.now() - started)} ms`);
process.exitCode = ok ? 0 : 1;

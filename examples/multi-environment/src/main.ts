import { startEnvironments } from './environments.js';
import { releasePipeline } from './pipeline.js';

// Starts the four environments on this machine (needs the test services: scripts/setup-test-services.sh),
// runs a good release and a broken one (rolled back), printing every event, then disposes everything.
const env = await startEnvironments();
try {
  for (const input of [{ version: '1.4.2' }, { version: '1.5.0', breakVerify: true }]) {
    console.log(`\n▶ release ${input.version}${input.breakVerify ? ' (verification will fail)' : ''}`);
    const run = env.engine.run(releasePipeline(env.settings), input);
    run.events$.subscribe((e) => {
      const detail =
        e.type === 'artifact.collected' || e.type === 'artifact.delivered'
          ? ` ${e.name}: ${e.files} files, ${e.bytes} bytes`
          : e.type === 'node.failed'
            ? ` ${e.error.message}`
            : '';
      console.log(`  ${e.type.padEnd(20)} ${'nodeId' in e && e.nodeId !== undefined ? e.nodeId : ''}${detail}`);
    });
    const r = await run.result;
    console.log(`■ ${r.status}`, r.status === 'success' ? r.outputs.verify : r.error?.message);
  }
} finally {
  await env.dispose();
}

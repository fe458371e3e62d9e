/**
 * A child coordinator process (seed 003's `new Orchestrator({ name: 'child-1', parent })`):
 * `tsx src/coordinator.ts <redisUrl> <group>`. Serves the child runs sent to coordinator group `<group>`; prints
 * READY; SIGTERM closes it gracefully.
 */
import 'reflect-metadata';
import { createEngine } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { regionReport, setCoordinatorName } from './workflows.js';

const [url, group] = process.argv.slice(2) as [string, string];
setCoordinatorName(group);
const engine = createEngine({
  plugins: [bullmqDispatch({ connection: url, groups: [], serve: { enqueued: false, groups: [group] } })],
  workflows: [regionReport],
});
await engine.ready();
console.log('READY');
process.on('SIGTERM', () => {
  void engine.close().then(() => process.exit(0));
});

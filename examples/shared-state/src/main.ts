// `pnpm start` (or `REDIS_URL=redis://… pnpm start`): runs the scenario against your Redis, or a private one.
import { startRedis } from '@flowlane/testing';
import { runScenario } from './scenario.js';

const url = process.env.REDIS_URL;
if (url !== undefined) await runScenario(url, console.log);
else {
  await using redis = await startRedis();
  await runScenario(redis.url, console.log);
}

import 'reflect-metadata';
import { startRedis } from '@flowlane/testing';
import { runDistributedDemo } from './index.js';

await using redis = await startRedis(); // in production: your Redis
const summary = await runDistributedDemo(redis.url);
console.log('seed 004 — task order by priority:', summary.order.join(' → '));
console.log('seed 004 — attempts:', summary.attempts);
console.log('seed 003 — shards per worker:', summary.shardsPerWorker);
console.log('health:', summary.health.join(', '));
console.log('seed 003 — hierarchical reports:', summary.hierarchy.reports, 'total', summary.hierarchy.total);

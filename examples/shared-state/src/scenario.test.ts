import { type RedisService, startRedis } from '@flowlane/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runScenario } from './scenario.js';

let redis: RedisService;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.dispose());

it("reproduces seed 001's cross-environment state on a real Redis", async () => {
  const lines: string[] = [];
  const r = await runScenario(redis.url, (l) => lines.push(l));
  const expected = {
    'deployment.version': '1.2.3',
    'feature.flags': { newUI: true, betaAPI: false },
    'maintenance.mode': false,
  };
  expect(r.initial).toEqual({ local: expected, staging: expected, production: expected });
  // Both deploys wrote from version 1 at once; production outranks staging.
  expect(r.afterRelease).toEqual({ local: '1.3.0', staging: '1.3.0', production: '1.3.0' });
  expect(r.releaseOutcomes.production).toBe('applied');
  expect(['applied', 'rejected']).toContain(r.releaseOutcomes.staging);
  expect(r.conflict.current.value).not.toBe(r.conflict.proposed.value);
  expect([r.conflict.current.value, r.conflict.proposed.value].sort()).toEqual([5, 8]);
  expect(r.resolvedReplicas).toBe(6);
  expect(lines).toHaveLength(4);
}, 30_000);

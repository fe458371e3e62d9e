import { createEngine, workflow } from '@flowlane/core';
import { createSharedState, type SharedConflict, type SharedState } from '@flowlane/store-redis';
import { Redis } from 'ioredis';

/** What the scenario saw, for printing and for its test. */
export interface ScenarioReport {
  /** Each environment's view after the initial writes from `local`. */
  readonly initial: Record<string, Record<string, unknown>>;
  /** `deployment.version` in each environment after staging and production deployed at once. */
  readonly afterRelease: Record<string, unknown>;
  /** Outcomes of the two concurrent writes of the release. */
  readonly releaseOutcomes: Record<string, string>;
  /** The conflict held for a person under `manual`, and the value after it was resolved. */
  readonly conflict: SharedConflict;
  readonly resolvedReplicas: unknown;
}

/**
 * Seed 001's `CrossEnvironmentStateManager`, on Flowlane and Redis: three environments share application state.
 * 1. `local` sets the deployment version, feature flags and maintenance mode; every environment sees them.
 * 2. A release workflow deploys to staging and production in parallel; both record `deployment.version` from the
 *    same starting version — `environment-priority` (production, staging, local) keeps production's.
 * 3. With `manual` resolution, two environments change `replicas` at once: the second write is held as a conflict,
 *    announced to every environment, and an operator picks the value.
 */
export async function runScenario(
  redisUrl: string,
  log: (line: string) => void = () => undefined,
): Promise<ScenarioReport> {
  const client = new Redis(redisUrl);
  const prefix = `seed-001:${Date.now()}:`;
  const names = ['local', 'staging', 'production'] as const;
  const envs: Record<string, SharedState> = {};
  const manual: SharedState[] = [];
  try {
    for (const environment of names)
      envs[environment] = await createSharedState({
        client,
        environment,
        prefix,
        conflict: 'environment-priority',
        priority: ['production', 'staging', 'local'],
      });
    const local = envs.local!;
    await local.set('deployment.version', '1.2.3');
    await local.set('feature.flags', { newUI: true, betaAPI: false });
    await local.set('maintenance.mode', false);
    await Promise.all(names.map((n) => until(envs[n]!, 'maintenance.mode', 1)));
    const initial = Object.fromEntries(
      names.map((n) => [n, Object.fromEntries(Object.entries(envs[n]!.snapshot()).map(([k, e]) => [k, e.value]))]),
    );
    log(`initial state in every environment: ${JSON.stringify(initial.production)}`);

    // The release: two parallel deploy nodes record what they deployed, each in its own environment's state.
    const release = workflow('release', { version: '1' })
      .input<{ version: string }>()
      .parallel({
        staging: async (ctx) => (await envs.staging!.set('deployment.version', `${ctx.input.version}-rc`)).outcome,
        production: async (ctx) => (await envs.production!.set('deployment.version', ctx.input.version)).outcome,
      })
      .build();
    const engine = createEngine();
    const result = await engine.run(release, { version: '1.3.0' }).result;
    await engine.close();
    if (result.status !== 'success') throw new Error(`release failed: ${result.error?.message}`);
    const releaseOutcomes = { staging: String(result.outputs.staging), production: String(result.outputs.production) };
    // Production's write won whatever the order, so production holds the final version: wait for everyone to have it.
    const final = envs.production!.entry('deployment.version')!.version;
    await Promise.all(names.map((n) => until(envs[n]!, 'deployment.version', final)));
    const afterRelease = Object.fromEntries(names.map((n) => [n, envs[n]!.get('deployment.version')]));
    log(`release outcomes ${JSON.stringify(releaseOutcomes)}; deployment.version now ${JSON.stringify(afterRelease)}`);

    // Manual resolution: ops and dev scale at the same time.
    for (const environment of ['ops', 'dev'])
      manual.push(await createSharedState({ client, environment, prefix: `${prefix}manual:`, conflict: 'manual' }));
    const [ops, dev] = manual as [SharedState, SharedState];
    await ops.set('replicas', 3);
    await until(dev, 'replicas', 1);
    const announced = new Promise<SharedConflict>((resolve) => ops.once('conflict', resolve));
    await Promise.all([ops.set('replicas', 5), dev.set('replicas', 8)]);
    const conflict = await announced;
    log(
      `conflict on replicas: ${conflict.current.environment} wrote ${String(conflict.current.value)}, ${conflict.proposed.environment} wrote ${String(conflict.proposed.value)}`,
    );
    await ops.resolve('replicas', { value: 6 });
    await until(dev, 'replicas', 3);
    log(`resolved by hand: replicas = ${String(dev.get('replicas'))} everywhere`);
    return { initial, afterRelease, releaseOutcomes, conflict, resolvedReplicas: dev.get('replicas') };
  } finally {
    for (const s of [...Object.values(envs), ...manual]) await s.close();
    await client.quit();
  }
}

/** Resolves once `state` holds `key` at `version` or later. */
function until(state: SharedState, key: string, version: number): Promise<void> {
  if ((state.entry(key)?.version ?? 0) >= version) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (e: { key: string; version: number }) => {
      if (e.key !== key || e.version < version) return;
      state.off('change', on);
      resolve();
    };
    state.on('change', on);
  });
}

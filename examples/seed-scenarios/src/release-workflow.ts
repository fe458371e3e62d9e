// The `pnpm demo` workflow: a release with every resilience feature a user meets first — a build that fails once
// and is retried, a push to a primary registry that is down and falls back to a mirror, checks and a rollout as
// parallel groups with a concurrency cap, and a dependency scan cached by lockfile hash.
import { workflow } from '@flowlane/core';
import { realSleep, type Sleep } from './sleep.js';

export interface ReleaseInput {
  readonly version: string;
  /** The dependency scan is cached by this key: same lockfile, same scan. */
  readonly lockfileHash: string;
}

export interface ReleaseWorkflowOptions {
  readonly sleep?: Sleep | undefined;
  /** Delay before the build's retry, ms. Default 200. */
  readonly retryIntervalMs?: number | undefined;
  /** Whether the primary registry refuses connections. Default true. */
  readonly registryDown?: boolean | undefined;
  /** How many build attempts fail before one succeeds. Default 1. */
  readonly buildFailures?: number | undefined;
}

/** Where an image was pushed. */
export interface PushedImage {
  readonly registry: string;
  readonly image: string;
}

export function createReleaseWorkflow({
  sleep = realSleep,
  retryIntervalMs = 200,
  registryDown = true,
  buildFailures = 1,
}: ReleaseWorkflowOptions = {}) {
  const deploy =
    (region: string) =>
    async (ctx: { readonly results: { readonly 'push-image': PushedImage }; readonly signal: AbortSignal }) => {
      await sleep(250, ctx.signal);
      return { region, image: `${ctx.results['push-image'].registry}/${ctx.results['push-image'].image}` };
    };
  return (
    workflow('release', { description: 'build, check, push and roll out a release' })
      .input<ReleaseInput>()
      .addNode('checkout', async (ctx) => {
        await sleep(100, ctx.signal);
        return { commit: 'a1b2c3d' };
      })
      .chain(
        'build',
        async (ctx) => {
          await sleep(250, ctx.signal);
          if (ctx.attempt <= buildFailures) throw new Error('npm ci: ECONNRESET while fetching a tarball');
          ctx.log.info('built', { attempt: ctx.attempt });
          return { artifact: `app-${ctx.input.version}.tgz`, commit: ctx.results.checkout.commit };
        },
        { retry: { maxAttempts: 3, initialInterval: retryIntervalMs } },
      )
      .parallel(
        {
          lint: async (ctx) => {
            await sleep(150, ctx.signal);
            return { warnings: 0 };
          },
          'unit-tests': async (ctx) => {
            await sleep(350, ctx.signal);
            return { passed: 412 };
          },
          'integration-tests': async (ctx) => {
            await sleep(300, ctx.signal);
            return { passed: 37 };
          },
        },
        { dependsOn: ['build'], concurrency: 2, group: 'checks' },
      )
      .addNode(
        'dependency-scan',
        async (ctx) => {
          await sleep(600, ctx.signal);
          return { advisories: 0, lockfile: ctx.input.lockfileHash };
        },
        { dependsOn: ['build'], cache: { ttl: 10 * 60_000, keyFn: (ctx) => ctx.input.lockfileHash } },
      )
      .addNode(
        'push-image',
        async (ctx): Promise<PushedImage> => {
          await sleep(150, ctx.signal);
          if (registryDown) throw new Error('registry.internal:5000: connect ECONNREFUSED');
          return { registry: 'registry.internal:5000', image: `app:${ctx.input.version}` };
        },
        { dependsOn: ['lint', 'unit-tests', 'integration-tests', 'dependency-scan'], fallback: 'push-mirror' },
      )
      // Runs only if push-image fails (a fallback); it needs only the run input.
      .addNode('push-mirror', async (ctx): Promise<PushedImage> => {
        await sleep(250, ctx.signal);
        return { registry: 'mirror.example.net', image: `app:${ctx.input.version}` };
      })
      .parallel(
        { 'deploy-eu': deploy('eu'), 'deploy-us': deploy('us'), 'deploy-ap': deploy('ap') },
        { dependsOn: ['push-image'], concurrency: 2, group: 'rollout' },
      )
      .chain('smoke-test', async (ctx) => {
        await sleep(150, ctx.signal);
        return { healthy: [ctx.results['deploy-eu'], ctx.results['deploy-us'], ctx.results['deploy-ap']].length };
      })
      .build()
  );
}

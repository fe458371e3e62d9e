// The five tasks of seed 001's CI/CD example as four workflows. Each task runs a real (harmless) command through
// ctx.exec — the seed's `npm run lint`, `npm test`, `deploy.sh staging` … stand-ins that print what they would do —
// so the example needs no repository, registry or cluster. Failures are injected through the input.
import { workflow } from '@flowlane/core';

/** What a push delivers (a webhook's payload). */
export interface Push {
  readonly branch: string;
  readonly commit: string;
  readonly author: string;
}

/** Input of the checks workflow; `failTests` makes the unit tests fail (to show `workflow.failed`). */
export interface ChecksInput {
  readonly commit: string;
  readonly failTests?: boolean | undefined;
}

const say = (text: string) => ['-c', 'printf "%s\\n" "$1"', 'sh', text] as const;

/** `code-analysis` and `unit-tests` side by side (seed: both with no dependencies). */
export const checks = workflow('checks')
  .input<ChecksInput>()
  .parallel({
    'code-analysis': async (ctx) => {
      const out = await ctx.exec('sh', { args: say(`lint + audit of ${ctx.input.commit}: 0 problems`) });
      return { commit: ctx.input.commit, report: out.stdout.trim() };
    },
    'unit-tests': async (ctx) => {
      const script = ctx.input.failTests ? 'echo "2 of 48 tests failed" >&2; exit 1' : 'echo "48 tests passed"';
      return (await ctx.exec(script, { shell: true })).stdout.trim();
    },
  })
  .build();

/** `build-artifact`: the release artifact of a commit. */
export const buildArtifact = workflow('build-artifact')
  .input<{ readonly commit: string }>()
  .addNode('build-artifact', async (ctx) => {
    await ctx.exec('sh', { args: say(`npm run build:production (${ctx.input.commit})`) });
    return { artifact: `app-${ctx.input.commit}.tgz` };
  })
  .build();

/** `deploy-<environment>`: deploys an artifact (seed: SSH to staging, Kubernetes for production). */
export const deploy = (environment: 'staging' | 'production') =>
  workflow(`deploy-${environment}`)
    .input<{ readonly artifact: string }>()
    .addNode(`deploy-${environment}`, async (ctx) => {
      const out = await ctx.exec('sh', { args: say(`deployed ${ctx.input.artifact} to ${environment}`) });
      return out.stdout.trim();
    })
    .build();

export const deployStaging = deploy('staging');
export const deployProduction = deploy('production');

/** Tells people a run failed (the seed logs `Workflow … failed`). */
export const notifyFailure = workflow('notify-failure')
  .input<{ readonly workflow: string; readonly error: string }>()
  .addNode('notify', (ctx) => `${ctx.input.workflow} failed: ${ctx.input.error}`)
  .build();

// Seed 002 "Deployment Workflow": pre-deployment checks in parallel, then build → push → update Kubernetes, then
// post-deployment verification in parallel where a failed notification must not fail the deployment
// (`onError: 'continue'`). The seed's durations are divided by 10; its `retries: n` is `maxAttempts: n + 1`.
import { createEngine, type FlowEvent, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';
import { type Failures, simulatedStep } from './simulated-step.js';
import { realSleep, type Sleep } from './sleep.js';

export interface DeploymentPipelineOptions {
  readonly sleep?: Sleep | undefined;
  /** First retry delay of every retried step, ms (doubling after). Default 200. */
  readonly retryIntervalMs?: number | undefined;
}

export interface DeploymentInput {
  readonly version: string;
  readonly failures?: Failures | undefined;
}

export function createDeploymentPipeline({ sleep = realSleep, retryIntervalMs = 200 }: DeploymentPipelineOptions = {}) {
  const retries = (n: number) => ({ maxAttempts: n + 1, initialInterval: retryIntervalMs });
  return (
    workflow('production-deployment')
      .input<DeploymentInput>()
      // Phase 1: pre-deployment checks
      .parallel(
        {
          'run-tests': simulatedStep(sleep, 'running test suite', 200, { tests: 150, passed: 150 }),
          'security-scan': simulatedStep(sleep, 'running security scan', 150, { vulnerabilities: 0 }),
        },
        { group: 'pre-deployment' },
      )
      .addNode(
        'database-backup',
        simulatedStep(sleep, 'creating database backup', 300, { backupId: 'backup-2025-11-06' }),
        { retry: retries(2), timeout: 10_000 },
      )
      // Phase 2: deployment
      .addNode(
        'build-image',
        simulatedStep(sleep, 'building image', 500, (input: DeploymentInput) => ({ image: `myapp:${input.version}` })),
        {
          dependsOn: ['run-tests', 'security-scan', 'database-backup'],
          timeout: 30_000,
        },
      )
      .chain('push-registry', simulatedStep(sleep, 'pushing to registry', 300, { digest: 'sha256:abc123' }), {
        retry: retries(3),
      })
      .chain('update-kubernetes', simulatedStep(sleep, 'updating deployment', 400, { replicas: 3, ready: 3 }), {
        onError: 'fail',
      })
      // Phase 3: post-deployment verification
      .addNode('health-check', simulatedStep(sleep, 'running health checks', 200, { status: 'healthy' }), {
        dependsOn: ['update-kubernetes'],
        retry: retries(5),
        timeout: 10_000,
      })
      .addNode('smoke-tests', simulatedStep(sleep, 'running smoke tests', 300, { tests: 10, passed: 10 }), {
        dependsOn: ['update-kubernetes'],
        retry: retries(3),
      })
      .addNode(
        'notify-stakeholders',
        simulatedStep(sleep, 'sending notifications', 100, { notified: ['team@example.com', 'slack'] }),
        { dependsOn: ['update-kubernetes'], onError: 'continue' },
      )
      .build()
  );
}

/** One line per step as it settles, like the seed's listeners. */
export function describeStep(e: FlowEvent): string | undefined {
  switch (e.type) {
    case 'workflow.started':
      return `🚀 starting ${e.workflow}`;
    case 'node.completed':
      return `✅ ${e.nodeId} (${e.durationMs} ms)`;
    case 'node.retrying':
      return `🔁 ${e.nodeId}: ${e.error.message}, retrying in ${e.delayMs} ms`;
    case 'node.failed':
      return `❌ ${e.nodeId}: ${e.error.message}${e.continued ? ' (continuing)' : ''}`;
    case 'node.skipped':
      return `⏭️  ${e.nodeId} skipped (${e.reason})`;
    default:
      return undefined;
  }
}

/** Deploys v1.2.3 with a flaky backup and a broken notifier; prints each step and the seed's summary. */
export async function main({ log = console.log, sleep }: ScenarioOptions = {}) {
  const engine = createEngine();
  try {
    const run = engine.run(createDeploymentPipeline({ sleep }), {
      version: 'v1.2.3',
      failures: { 'database-backup': 1, 'notify-stakeholders': 'always' },
    });
    run.events$.subscribe((e) => {
      const line = describeStep(e);
      if (line !== undefined) log(line);
    });
    const result = await run.result;
    const nodes = Object.values(result.nodes);
    log('📊 Deployment summary:');
    log(`  Status: ${result.status}`);
    log(`  Duration: ${result.durationMs} ms`);
    log(`  Steps executed: ${nodes.filter((n) => n.attempts > 0).length}`);
    log(`  Errors: ${nodes.filter((n) => n.status === 'failed').length}`);
    return result;
  } finally {
    await engine.close();
  }
}

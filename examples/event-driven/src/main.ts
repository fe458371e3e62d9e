// `pnpm --filter @flowlane/example-event-driven start`: the seed's CI/CD pipeline driven by events.
import { createEngine, type FlowEvent } from '@flowlane/core';
import { installTriggers } from './orchestration.js';

const engine = createEngine();
const t0 = Date.now();
const log = (text: string): void => console.log(`+${((Date.now() - t0) / 1000).toFixed(2)} s  ${text}`);
const finished = new Map<string, (e: FlowEvent) => void>();
engine.events$.subscribe((e) => {
  if (e.type === 'workflow.started')
    log(
      `▶ ${e.workflow}${e.triggeredBy ? ` (triggered by ${e.triggeredBy.event}${e.triggeredBy.executionId ? ` of ${e.triggeredBy.executionId.slice(0, 8)}` : ''})` : ''}`,
    );
  if (e.type === 'workflow.completed' || e.type === 'workflow.failed') {
    log(
      `■ ${e.workflow} ${e.type === 'workflow.completed' ? 'completed' : `failed: ${e.error.message.split('\n')[0]}`}`,
    );
    finished.get(e.workflow)?.(e);
  }
});
const settled = (workflow: string) => new Promise<FlowEvent>((resolve) => finished.set(workflow, resolve));

installTriggers(engine);
try {
  log('event git.push (feature/login) — not main, nothing starts');
  engine.emit('git.push', { branch: 'feature/login', commit: 'f00ba4', author: 'developer' });
  log('event git.push (main, abc123)');
  const staging = settled('deploy-staging');
  engine.emit('git.push', { branch: 'main', commit: 'abc123', author: 'developer' });
  await staging;
  log('event approval.granted (production)');
  const production = settled('deploy-production');
  engine.emit('approval.granted', {
    environment: 'production',
    artifact: 'app-abc123.tgz',
    approver: 'release-manager',
  });
  await production;
} finally {
  await engine.close();
}

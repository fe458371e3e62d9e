// Seed 001's EventDrivenOrchestrator, as engine triggers. The seed's four EventTriggers become four
// `engine.trigger` calls; its "workflow.completed with these task results" conditions read the finished run's node
// records; a fifth trigger reports failures. There is no polling loop and no event queue to drain: the engine starts
// the next workflow when a run ends or an event is emitted.
import type { Engine, RunResult, TriggerHandle } from '@flowlane/core';
import {
  buildArtifact,
  type ChecksInput,
  checks,
  deployProduction,
  deployStaging,
  notifyFailure,
  type Push,
} from './workflows.js';

/** An approval (seed: `approval.granted` with the environment). */
export interface Approval {
  readonly environment: string;
  readonly artifact: string;
  readonly approver: string;
}

const succeeded = (r: RunResult, ...nodes: string[]): boolean => nodes.every((n) => r.nodes[n]?.status === 'success');

/**
 * Installs the seed's triggers on `engine`; returns a function removing them.
 *
 * - `git.push` on `main` → `checks` (code analysis + unit tests);
 * - `checks` completed with both tasks successful → `build-artifact`;
 * - `build-artifact` completed → `deploy-staging`;
 * - `approval.granted` for `production` → `deploy-production` (one at a time);
 * - any of these workflows failed → `notify-failure`.
 */
export function installTriggers(engine: Engine, options: { readonly failTests?: boolean } = {}): () => void {
  const handles: TriggerHandle[] = [
    engine.trigger<ChecksInput, Push>({
      on: 'git.push',
      when: (e) => e.payload.branch === 'main',
      run: checks,
      input: (e) => ({ commit: e.payload.commit, failTests: options.failTests }),
    }),
    engine.trigger<{ commit: string }, RunResult<{ 'code-analysis': { commit: string }; 'unit-tests': string }>>({
      on: 'workflow.completed',
      workflow: 'checks',
      when: (e) => succeeded(e.payload, 'code-analysis', 'unit-tests'),
      run: buildArtifact,
      input: (e) => ({ commit: e.payload.outputs['code-analysis']!.commit }),
    }),
    engine.trigger<{ artifact: string }, RunResult<{ 'build-artifact': { artifact: string } }>>({
      on: 'workflow.completed',
      workflow: 'build-artifact',
      when: (e) => succeeded(e.payload, 'build-artifact'),
      run: deployStaging,
      input: (e) => ({ artifact: e.payload.outputs['build-artifact']!.artifact }),
    }),
    engine.trigger<{ artifact: string }, Approval>({
      on: 'approval.granted',
      when: (e) => e.payload.environment === 'production',
      run: deployProduction,
      input: (e) => ({ artifact: e.payload.artifact }),
      concurrency: 1,
    }),
    engine.trigger<{ workflow: string; error: string }, RunResult>({
      on: 'workflow.failed',
      when: (e) => e.workflow !== 'notify-failure',
      run: notifyFailure,
      input: (e) => ({ workflow: e.payload.workflow, error: e.payload.error?.message.split('\n', 1)[0] ?? 'unknown' }),
    }),
  ];
  return () => {
    for (const h of handles) h.remove();
  };
}

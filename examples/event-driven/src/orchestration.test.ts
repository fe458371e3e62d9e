import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createEngine, type Engine, type FlowEvent, type WorkflowStartedEvent } from '@flowlane/core';
import { afterEach, describe, expect, it } from 'vitest';
import { installTriggers } from './orchestration.js';
import { notifyFailure } from './workflows.js';

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

/** An engine with the seed's triggers, and every event it publishes. */
function setup(options: { failTests?: boolean } = {}) {
  const engine = createEngine();
  engines.push(engine);
  const events: FlowEvent[] = [];
  engine.events$.subscribe((e) => events.push(e));
  installTriggers(engine, options);
  const ended = (workflow: string) =>
    new Promise<FlowEvent>((resolve) => {
      const sub = engine.events$.subscribe((e) => {
        if ((e.type === 'workflow.completed' || e.type === 'workflow.failed') && e.workflow === workflow) {
          sub.unsubscribe();
          resolve(e);
        }
      });
    });
  const starts = () => events.filter((e): e is WorkflowStartedEvent => e.type === 'workflow.started');
  return { engine, events, ended, starts };
}

describe('seed 001: event-driven CI/CD with triggers', () => {
  it('a push to main runs checks → build-artifact → deploy-staging, each triggered by the previous run', async () => {
    const { engine, ended, starts, events } = setup();
    expect(engine.emit('git.push', { branch: 'feature/login', commit: 'f00', author: 'dev' })).toEqual([]);
    const staging = ended('deploy-staging');
    const [checksRun] = engine.emit('git.push', { branch: 'main', commit: 'abc123', author: 'dev' });
    expect(await staging).toMatchObject({ type: 'workflow.completed' });
    const s = starts();
    expect(s.map((e) => e.workflow)).toEqual(['checks', 'build-artifact', 'deploy-staging']);
    expect(s[0]!.triggeredBy).toEqual({ event: 'git.push' });
    expect(s[0]!.executionId).toBe(checksRun!.executionId);
    expect(s[1]!.triggeredBy).toEqual({ event: 'workflow.completed', executionId: s[0]!.executionId });
    expect(s[2]!.triggeredBy).toEqual({ event: 'workflow.completed', executionId: s[1]!.executionId });
    // Both checks of the run completed.
    const checksDone = events.flatMap((e) =>
      e.type === 'node.completed' && e.workflow === 'checks' ? [e.nodeId] : [],
    );
    expect(checksDone.sort()).toEqual(['code-analysis', 'unit-tests']);
  });

  it('the deployed artifact is the one built for the pushed commit', async () => {
    const { engine, ended } = setup();
    const staging = ended('deploy-staging');
    let output: unknown;
    // A lifecycle trigger that never fires: its condition sees the finished run's result (outputs included).
    engine.trigger({
      on: 'workflow.completed',
      workflow: 'deploy-staging',
      run: notifyFailure,
      when: (e) => {
        output = (e.payload as { outputs: Record<string, unknown> }).outputs['deploy-staging'];
        return false;
      },
    });
    engine.emit('git.push', { branch: 'main', commit: 'c0ffee', author: 'dev' });
    await staging;
    await new Promise((r) => setImmediate(r));
    expect(output).toBe('deployed app-c0ffee.tgz to staging');
  });

  it('an approval for production deploys to production; one for another environment does nothing', async () => {
    const { engine } = setup();
    expect(engine.emit('approval.granted', { environment: 'qa', artifact: 'app-1.tgz', approver: 'x' })).toEqual([]);
    const [run] = engine.emit('approval.granted', { environment: 'production', artifact: 'app-1.tgz', approver: 'rm' });
    const r = await run!.result;
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ 'deploy-production': 'deployed app-1.tgz to production' });
  });

  it('failing unit tests: no build, and notify-failure reports the failed run', async () => {
    const { engine, ended, starts } = setup({ failTests: true });
    const notified = ended('notify-failure');
    engine.emit('git.push', { branch: 'main', commit: 'bad', author: 'dev' });
    await notified;
    const s = starts();
    expect(s.map((e) => e.workflow)).toEqual(['checks', 'notify-failure']);
    expect(s[1]!.triggeredBy).toEqual({ event: 'workflow.failed', executionId: s[0]!.executionId });
  });

  it('the workflows run from the command line too: flowlane run … --export checks', async () => {
    const bin = fileURLToPath(new URL('../node_modules/@flowlane/cli/dist/bin.js', import.meta.url));
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, 'run', 'src/workflows.ts', '--export', 'checks', '--input', '{"commit":"abc123"}', '--json'],
      { cwd },
    );
    const last = JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as { status: string; nodes: object };
    expect(last).toMatchObject({ status: 'success', nodes: { 'code-analysis': { status: 'success' } } });
  });
});

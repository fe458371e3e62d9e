import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { createEngine } from '../engine/engine.js';
import { CORE_VERSION } from '../version.js';
import type { Workflow } from '../workflow.js';
import { definePlugin } from './define-plugin.js';
import type { RunEventsView } from './types.js';

describe('PluginApi.runEvents and watchRuns', () => {
  it("gives a view of an active run's log (subworkflow runs too) that stays readable after the run settled", async () => {
    const views = new Map<string, RunEventsView>();
    /** [count, final, same view as at the start] when the run's final event reached the exporter. */
    const atEnd = new Map<string, [number, boolean, boolean]>();
    let later: ((id: string) => RunEventsView | undefined) | undefined;
    /** What the run watcher saw: [hook, executionId, event type, view.final, same view as runEvents]. */
    const watched: [string, string, string, boolean, boolean][] = [];
    const plugin = definePlugin({
      name: 'keeper',
      version: '1.0.0',
      flowlane: `^${CORE_VERSION}`,
      setup(api) {
        later = api.runEvents;
        api.watchRuns({
          name: 'keeper-runs',
          started: (run, e) =>
            void watched.push(['started', run.executionId, e.type, run.final, run === api.runEvents(e.executionId)]),
          settled: (run, e) =>
            void watched.push(['settled', run.executionId, e.type, run.final, run === views.get(e.executionId)]),
        });
        api.metrics.addExporter({
          name: 'keeper',
          handle: (e) => {
            if (e.type === 'workflow.started') views.set(e.executionId, api.runEvents(e.executionId)!);
            if (e.type === 'workflow.completed') {
              const view = api.runEvents(e.executionId)!;
              atEnd.set(e.executionId, [view.count, view.final, view === views.get(e.executionId)]);
            }
          },
        });
      },
    });
    const engine = createEngine({ plugins: [plugin], logger: { debug() {}, info() {}, warn() {}, error() {} } });
    const child = workflow('child')
      .addNode('x', () => 1)
      .build();
    const wf = workflow('parent')
      .addNode('a', () => 1)
      .subworkflow('sub', child, () => undefined, { dependsOn: ['a'] })
      .chain('b', () => Promise.resolve(2))
      .build();
    const all: FlowEvent[] = [];
    const sub = engine.events$.subscribe((e) => all.push(e));
    const run = engine.run(wf, undefined, { executionId: 'r1' });
    const replay = await lastValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('success');
    sub.unsubscribe();

    expect([...views.keys()]).toHaveLength(2);
    const view = views.get('r1')!;
    expect(view).toMatchObject({ executionId: 'r1', workflow: 'parent', final: true, count: replay.length });
    // Exactly what run.events$ replays: the run's own events and its subworkflow run's.
    expect(view.events()).toEqual(replay);
    // On its final event the run's log holds it, and is not final yet; one view per run.
    expect(atEnd.get('r1')).toEqual([replay.length, false, true]);
    const childId = [...views.keys()].find((id) => id !== 'r1')!;
    const childView = views.get(childId)!;
    expect(childView).toMatchObject({ workflow: 'child', final: true });
    expect(childView.events()).toEqual(all.filter((e) => e.executionId === childId));
    expect(view.events().filter((e) => e.executionId === childId)).toEqual(childView.events());
    // The watcher: told of each run's start (after its first event) and end (once final), never per event.
    expect(watched).toEqual([
      ['started', 'r1', 'workflow.started', false, true],
      ['started', childId, 'workflow.started', false, true],
      ['settled', childId, 'workflow.completed', true, true],
      ['settled', 'r1', 'workflow.completed', true, true],
    ]);
    // Nothing for runs that are not active.
    expect(later?.('r1')).toBeUndefined();
    expect(later?.('nope')).toBeUndefined();
    await engine.close();
  });
});

describe('PluginApi.watchRuns: bad watchers', () => {
  it('refuses a malformed watcher and contains (and logs) a throwing one', async () => {
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
    const bad = definePlugin({
      name: 'bad',
      version: '1.0.0',
      flowlane: `^${CORE_VERSION}`,
      setup(api) {
        api.watchRuns({ name: 'nothing' } as never);
      },
    });
    const refused = createEngine({ plugins: [bad], logger });
    await expect(refused.ready()).rejects.toMatchObject({ code: 'FL_PLUGIN_SETUP_FAILED' });
    await expect(refused.ready()).rejects.toThrow(/api\.watchRuns\(\) expects/);
    await refused.close();

    const throwing = definePlugin({
      name: 'throwing',
      version: '1.0.0',
      flowlane: `^${CORE_VERSION}`,
      setup(api) {
        api.watchRuns({
          name: 'thrower',
          started: () => {
            throw new Error('watcher broke');
          },
        });
      },
    });
    const engine = createEngine({ plugins: [throwing], logger });
    const result = await engine.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      undefined,
    ).result;
    expect(result.status).toBe('success');
    expect(errors).toEqual(['run watcher "thrower" failed on an event']);
    await engine.close();
  });
});

describe('PluginApi.runEvents on a compact log', () => {
  it('counts and materialises the node events nobody heard while the run ran (a watcher is not a listener)', async () => {
    const views: RunEventsView[] = [];
    let countAtEnd = -1;
    const plugin = definePlugin({
      name: 'watcher',
      version: '1.0.0',
      flowlane: `^${CORE_VERSION}`,
      setup(api) {
        api.watchRuns({
          name: 'watcher',
          started: (run) => void views.push(run),
          settled: (run) => {
            countAtEnd = run.count;
          },
        });
      },
    });
    const engine = createEngine({ plugins: [plugin], logger: { debug() {}, info() {}, warn() {}, error() {} } });
    // A chain of 64 nodes, built in a loop (the builder's types track each id: a loop needs a plain view of it).
    type Chain = { addNode(id: string, fn: () => number, o?: { dependsOn: string[] }): Chain; build(): Workflow };
    let b = (workflow('wide') as unknown as Chain).addNode('n0', () => 0);
    for (let i = 1; i < 64; i++) b = b.addNode(`n${i}`, () => i, { dependsOn: [`n${i - 1}`] });
    const run = engine.run(b.build(), undefined, { executionId: 'wide-1' });
    expect((await run.result).status).toBe('success');
    const view = views[0]!;
    expect(countAtEnd).toBe(2 + 2 * 64);
    expect(view.count).toBe(2 + 2 * 64);
    const events = view.events();
    expect(events).toHaveLength(2 + 2 * 64);
    expect(view.count).toBe(2 + 2 * 64);
    const replay = await lastValueFrom(run.events$.pipe(toArray()));
    expect(JSON.stringify(events)).toBe(JSON.stringify(replay));
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(['workflow.started', 'node.started', 'node.completed']);
    await engine.close();
  });
});

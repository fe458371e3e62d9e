// Seed 003 "Parallelization": 100 tasks in one parallel group, at most 10 running at once, then a fan-in.
import { createEngine, type FlowEvent, type NodeContext, workflow } from '@flowlane/core';
import type { ScenarioOptions } from './scenario.js';
import { realSleep, type Sleep } from './sleep.js';

export interface ParallelWorkflowOptions {
  readonly sleep?: Sleep | undefined;
  /** Number of tasks. Default 100. */
  readonly tasks?: number | undefined;
  /** The group's concurrency cap. Default 10. */
  readonly concurrency?: number | undefined;
  /** Called as each task starts and ends: lets callers count what runs at once from inside the tasks. */
  readonly onTask?: ((phase: 'start' | 'end', index: number) => void) | undefined;
}

/** Task `i` works 10–39 ms (simulated) and returns `i²`. */
export function createParallelWorkflow({
  sleep = realSleep,
  tasks = 100,
  concurrency = 10,
  onTask,
}: ParallelWorkflowOptions = {}) {
  const createTask =
    (i: number) =>
    async (ctx: NodeContext): Promise<number> => {
      onTask?.('start', i);
      try {
        await sleep(10 + ((i * 7) % 30), ctx.signal);
        return i * i;
      } finally {
        onTask?.('end', i);
      }
    };
  return workflow('max-parallel')
    .parallel(
      // `as const` types the ids as `task-${number}`: a plain string[] would make every later id look taken.
      Array.from({ length: tasks }, (_, i) => `task-${i}` as const),
      Array.from({ length: tasks }, (_, i) => createTask(i)),
      { concurrency },
    )
    .chain('sum', (ctx) => Object.values(ctx.results).reduce((a, b) => a + b, 0))
    .build();
}

/** Largest number of nodes running at once, read from a run's events (started minus settled). */
export function maxRunningAtOnce(events: readonly FlowEvent[], filter: (nodeId: string) => boolean = () => true) {
  const running = new Set<string>();
  let max = 0;
  for (const e of events) {
    if (e.type === 'node.started' && filter(e.nodeId)) running.add(e.nodeId);
    else if ((e.type === 'node.completed' || e.type === 'node.failed') && filter(e.nodeId)) running.delete(e.nodeId);
    max = Math.max(max, running.size);
  }
  return max;
}

/** Runs the 100 tasks and prints the peak concurrency seen in the event stream. */
export async function main({ log = console.log, sleep }: ScenarioOptions = {}) {
  const engine = createEngine();
  try {
    const run = engine.run(createParallelWorkflow({ sleep }), {});
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    const result = await run.result;
    const tasks = Object.keys(result.nodes).filter((id) => id.startsWith('task-'));
    const peak = maxRunningAtOnce(events, (id) => id.startsWith('task-'));
    log(
      `max-parallel ${result.status}: ${tasks.length} tasks, at most ${peak} at once, sum = ${result.outputs.sum}, ${result.durationMs} ms`,
    );
    return { result, peak };
  } finally {
    await engine.close();
  }
}

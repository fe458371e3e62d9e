import { of } from 'rxjs';
import { expectTypeOf } from 'vitest';
import type { RunResult } from '../contracts/run-types.js';
import { createEngine } from '../engine/engine.js';
import type { Workflow } from '../workflow.js';
import type { SettledItem } from './types.js';
import { workflow } from './workflow-builder.js';

// Results accumulate through addNode / chain / parallel / forEach / branch / subworkflow.
const wf = workflow('types')
  .input<{ n: number; env: string }>()
  .addNode('a', async (ctx) => {
    expectTypeOf(ctx.input).toEqualTypeOf<{ n: number; env: string }>();
    expectTypeOf(ctx.results).toEqualTypeOf<Readonly<Record<never, never>>>();
    return ctx.input.n + 1;
  })
  .addNode(
    'b',
    (ctx) => {
      expectTypeOf(ctx.results.a).toEqualTypeOf<number>();
      return ctx.results.a * 2;
    },
    { dependsOn: ['a'] },
  )
  .chain('c', (ctx) => {
    expectTypeOf(ctx.results.b).toEqualTypeOf<number>();
    return String(ctx.results.b);
  })
  .parallel(['p1', 'p2'], [(ctx) => ctx.results.c.length, async () => 2], { concurrency: 1, dependsOn: ['c'] })
  .parallel({ x: () => 'x', y: () => of(true) }, { dependsOn: ['p1'] })
  .chain('fanIn', (ctx) => {
    expectTypeOf(ctx.results.x).toEqualTypeOf<string>();
    expectTypeOf(ctx.results.y).toEqualTypeOf<boolean>();
    return 0;
  })
  .forEach(
    'each',
    (ctx) => [ctx.results.p1, ctx.results.p2],
    (item, index) => {
      expectTypeOf(item).toEqualTypeOf<number>();
      expectTypeOf(index).toEqualTypeOf<number>();
      return `${item}`;
    },
    { dependsOn: ['p1', 'p2'] },
  )
  .forEach('settled', [1, 2], async (i) => i > 1, { failurePolicy: 'allSettled' })
  .branch('prod', (ctx) => ctx.input.env === 'prod', { then: ['a'] })
  .addNode(
    'end',
    (ctx) => {
      expectTypeOf(ctx.results.each).toEqualTypeOf<string[]>();
      expectTypeOf(ctx.results.settled).toEqualTypeOf<SettledItem<boolean>[]>();
      expectTypeOf(ctx.results.prod).toEqualTypeOf<boolean>();
      expectTypeOf(ctx.results.p1).toEqualTypeOf<number>();
      return null;
    },
    { dependsOn: ['each', 'settled', 'prod', 'p1'] },
  )
  .build();

expectTypeOf(wf).toMatchTypeOf<
  Workflow<{ n: number; env: string }, { readonly a: number; readonly b: number; readonly c: string }>
>();

const child = workflow('child')
  .input<{ x: number }>()
  .addNode('out', (ctx) => ctx.input.x)
  .build();
workflow('parent')
  .addNode('seed', () => 1)
  .subworkflow('sub', child, (ctx) => ({ x: ctx.results.seed }), { dependsOn: ['seed'] })
  .chain('use', (ctx) => {
    expectTypeOf(ctx.results.sub).toEqualTypeOf<Partial<{ readonly out: number }>>();
  });

// Error boundaries receive the error.
workflow('b')
  .addNode('risky', () => 1)
  .boundary(
    'h',
    (_ctx, error) => {
      expectTypeOf(error).toBeUnknown();
      return 0;
    },
    { forNodes: ['risky'] },
  );

// Run results are typed by the workflow's outputs.
const engine = createEngine();
const run = engine.run(wf, { n: 1, env: 'dev' });
expectTypeOf(run.result).resolves.toMatchTypeOf<RunResult<{ readonly a: number }>>();
// @ts-expect-error input must match the declared type
engine.run(wf, { n: 'one', env: 'dev' });

// Compile errors for impossible calls.
workflow('e')
  .addNode('a', () => 1)
  // @ts-expect-error unknown dependency
  .addNode('b', () => 2, { dependsOn: ['nope'] });
workflow('e')
  .addNode('a', () => 1)
  // @ts-expect-error duplicate id
  .addNode('a', () => 2);
workflow('e')
  .addNode('a', () => 1)
  // @ts-expect-error results of nodes not depended on are not visible
  .addNode('b', (ctx) => ctx.results.a);

// Seed-form boundaries do not become the chain's predecessor.
workflow('seed-boundary')
  .addNode('risky', () => 1)
  .addNode('handler', (_ctx, _error) => 0, { onError: true, forNodes: ['risky'] })
  .chain('after', (ctx) => {
    expectTypeOf(ctx.results.risky).toEqualTypeOf<number>();
  });

// Computed ids (string[]) do not make every later id a conflict.
const ids: string[] = Array.from({ length: 3 }, (_, i) => `task-${i}`);
workflow('computed')
  .parallel(
    ids,
    ids.map(() => () => 1),
  )
  .addNode('after', (ctx) => ctx.results['task-0'], { dependsOn: ['task-0'] })
  .build();

// A dependency declared with onError: 'continue' may have failed: dependents see `T | undefined`.
workflow('continue-types')
  .addNode('flaky', () => 42, { onError: 'continue' })
  .addNode('strict', () => 'ok', { onError: 'fail' })
  .addNode('plain', () => true)
  .addNode(
    'use',
    (ctx) => {
      expectTypeOf(ctx.results.flaky).toEqualTypeOf<number | undefined>();
      expectTypeOf(ctx.results.strict).toEqualTypeOf<string>();
      expectTypeOf(ctx.results.plain).toEqualTypeOf<boolean>();
      // @ts-expect-error the continued dependency may be undefined: narrow it first
      ctx.results.flaky.toFixed();
      return ctx.results.flaky ?? 0;
    },
    { dependsOn: ['flaky', 'strict', 'plain'] },
  )
  .chain('soft', () => 'maybe', { onError: 'continue' })
  .chain('afterSoft', (ctx) => {
    expectTypeOf(ctx.results.soft).toEqualTypeOf<string | undefined>();
    return 1;
  })
  .parallel({ p: () => 1, q: () => 'q' }, { onError: 'continue', dependsOn: ['afterSoft'] })
  .chain('afterGroup', (ctx) => {
    expectTypeOf(ctx.results.p).toEqualTypeOf<number | undefined>();
    expectTypeOf(ctx.results.q).toEqualTypeOf<string | undefined>();
    return 0;
  })
  .forEach('each', [1, 2], (n) => n * 2, { onError: 'continue' })
  .chain('afterEach', (ctx) => {
    expectTypeOf(ctx.results.each).toEqualTypeOf<number[] | undefined>();
    return 0;
  });

// An onError only known at run time (a NodeOptions variable) may be 'continue' too.
declare const someOptions: { readonly onError?: 'fail' | 'continue' | 'fallback' | undefined };
workflow('dynamic-on-error')
  .addNode('x', () => 1, someOptions)
  .chain('y', (ctx) => {
    expectTypeOf(ctx.results.x).toEqualTypeOf<number | undefined>();
    return 0;
  });

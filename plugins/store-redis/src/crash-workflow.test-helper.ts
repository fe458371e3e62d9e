import { appendFileSync } from 'node:fs';
import { isFlowlaneError, type NodeContext, type Workflow, workflow } from '@flowlane/core';
import { seededRandom } from '@flowlane/testing';

/** The builder seen without its compile-time id tracking (this graph is generated at run time). */
interface LooseBuilder {
  addNode(id: string, fn: (ctx: NodeContext) => unknown, options?: object): LooseBuilder;
  build(): Workflow<unknown, Record<string, unknown>>;
}

export const NODES = 200;
export const CONCURRENCY = 4;
const MOD = 1_000_000_007;
const numeric = (v: unknown): number => (typeof v === 'number' ? v : String(v).length);

/**
 * The crash test's workflow: 200 nodes in a seeded random DAG (≤ 3 earlier parents each), mixed sync and async
 * bodies (10–40 ms), every 17th node failing its first attempt (retry), one node waiting for the `approve` signal and
 * one waiting out a 1.5 s signal-wait timeout (a timer). Each node body appends its id to `bodiesFile` when it
 * completes (a side effect outside the log, to count re-runs).
 */
export function crashWorkflow(bodiesFile: string | undefined): Workflow<unknown, Record<string, unknown>> {
  const rnd = seededRandom(42);
  let b = workflow('crash', { version: '1' }) as unknown as LooseBuilder;
  const done = (id: string, v: unknown) => {
    if (bodiesFile !== undefined) appendFileSync(bodiesFile, `${id}\n`);
    return v;
  };
  for (let i = 0; i < NODES; i++) {
    const id = `n${i}`;
    const parents = new Set<string>();
    if (i > 0) for (let k = Math.floor(rnd() * 4); k > 0; k--) parents.add(`n${Math.floor(rnd() * i)}`);
    const dependsOn = [...parents];
    const async = rnd() < 0.6;
    const ms = 10 + Math.floor(rnd() * 30);
    const value = (ctx: { results: Readonly<Record<string, unknown>> }) =>
      (1 + i + dependsOn.reduce((s, p) => s + numeric(ctx.results[p]), 0)) % MOD;
    if (i === 3) {
      b = b.addNode(id, async (ctx) => done(id, `approved:${await ctx.waitForSignal<string>('approve')}`), {
        dependsOn,
      });
      continue;
    }
    if (i === 5) {
      b = b.addNode(
        id,
        async (ctx) => {
          try {
            await ctx.waitForSignal('never', { timeout: 1_500 });
            return done(id, 'signalled');
          } catch (e) {
            if (isFlowlaneError(e, 'FL_SIGNAL_TIMEOUT')) return done(id, 'timer');
            throw e;
          }
        },
        { dependsOn },
      );
      continue;
    }
    const retry = i % 17 === 0;
    const body = (ctx: { attempt: number; results: Readonly<Record<string, unknown>> }) => {
      if (retry && ctx.attempt === 1) throw new Error(`first attempt of ${id} fails`);
      return done(id, value(ctx));
    };
    b = b.addNode(
      id,
      async
        ? async (ctx) => {
            await new Promise((r) => setTimeout(r, ms));
            return body(ctx);
          }
        : (ctx) => body(ctx),
      { dependsOn, ...(retry ? { retry: { maxAttempts: 3, initialInterval: 5 } } : {}) },
    );
  }
  return b.build();
}

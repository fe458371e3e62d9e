// @mastra/core workflows: one `createStep` per node, composed in topological waves (`.then` for a single step,
// `.parallel` for a wave); each step reads its parents with `getStepResult(id)` (Mastra's documented way to read any
// earlier step's output). Retries use the step's `retries` with the workflow's `retryConfig.delay: 0`.
import { createRequire } from 'node:module';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { z } from 'zod';
import { MOD } from '../../src/workloads.mjs';

export const name = 'mastra';
export const version = createRequire(import.meta.url)('@mastra/core/package.json').version;

export function skipReason(w) {
  if (w.kind === 'cache') return 'Mastra workflows have no step-result cache';
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 13)) return `@mastra/core ${version} needs Node >= 22.13`;
  return undefined;
}

export function prepare(w) {
  const { parents, levels, ids, n } = w.graph;
  const any = z.any();
  const isAsync = w.async;
  const steps = new Array(n);
  for (let i = 0; i < n; i++) {
    const ps = parents[i].map((p) => ids[p]);
    const body = ({ getStepResult, retryCount }) => {
      if (w.retry && retryCount === 0) throw new Error('transient');
      let s = 1;
      for (let k = 0; k < ps.length; k++) s += getStepResult(ps[k]);
      return s % MOD;
    };
    steps[i] = createStep({
      id: ids[i],
      inputSchema: any,
      outputSchema: any,
      execute: isAsync ? async (ctx) => body(ctx) : body,
      ...(w.retry ? { retries: 1 } : {}),
    });
  }
  let wf = createWorkflow({
    id: `${w.id}-${w.variant}`,
    inputSchema: any,
    outputSchema: any,
    ...(w.retry ? { retryConfig: { attempts: 1, delay: 0 } } : {}),
  });
  for (const level of levels) {
    wf = level.length === 1 ? wf.then(steps[level[0]]) : wf.parallel(level.map((i) => steps[i]));
  }
  wf.commit();

  const runOnce = async () => {
    const run = await wf.createRun();
    const r = await run.start({ inputData: {} });
    if (r.status !== 'success') throw new Error(`mastra run ${r.status}: ${r.error?.message ?? r.error}`);
    return r;
  };
  return {
    run() {
      const all = new Array(w.runs);
      for (let r = 0; r < w.runs; r++) all[r] = runOnce();
      return Promise.all(all);
    },
    check(out) {
      let s = 0;
      for (const r of out) for (let i = 0; i < n; i++) s = (s + r.steps[ids[i]].output) % MOD;
      return s;
    },
  };
}

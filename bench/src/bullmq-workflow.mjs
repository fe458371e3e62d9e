import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workflow } from '@flowlane/core';

export const D2_NODES = Number(process.env.D2_NODES ?? 2000);

/**
 * D2's workflow: D2_NODES independent trivial nodes on worker group `d2` (the same work as a raw job), built with
 * `core` (default: this repository's `@flowlane/core`; `--root` runs another build).
 */
export function d2Workflow(core = { workflow }) {
  let b = core.workflow('d2', { version: '1' });
  for (let i = 0; i < D2_NODES; i++) b = b.addNode(`n${i}`, () => i * 2, { runOn: 'd2' });
  return b.build();
}

/** `@flowlane/core` and `@flowlane/queue-bullmq` of the built tree at `root` (its `dist`), or this repository's. */
export async function loadFlowlane(root) {
  if (root === undefined || root === '')
    return { core: await import('@flowlane/core'), qb: await import('@flowlane/queue-bullmq') };
  const at = (path) => pathToFileURL(resolve(root, path)).href;
  return {
    core: await import(at('packages/core/dist/index.js')),
    qb: await import(at('plugins/queue-bullmq/dist/index.js')),
  };
}

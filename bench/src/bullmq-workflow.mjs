import { workflow } from '@flowlane/core';

export const D2_NODES = Number(process.env.D2_NODES ?? 2000);

/** D2's workflow: D2_NODES independent trivial nodes on worker group `d2` (the same work as a raw job). */
export function d2Workflow() {
  let b = workflow('d2', { version: '1' });
  for (let i = 0; i < D2_NODES; i++) b = b.addNode(`n${i}`, () => i * 2, { runOn: 'd2' });
  return b.build();
}

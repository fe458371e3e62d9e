import { workflow } from '@flowlane/core';

/** Shared by the coordinator (the test) and the worker child process: `remote` runs on group `traced`. */
export const tracedWorkflow = workflow('traced', { version: '1' })
  .addNode('prepare', () => 'p', { runOn: 'local' })
  .chain(
    'remote',
    async (ctx) =>
      // A real child process of the worker prints the trace context it was given.
      (await ctx.exec('/bin/sh', { args: ['-c', 'printf %s "$TRACEPARENT"'] })).stdout,
    { runOn: 'traced' },
  )
  .build();

import { workflow } from '@flowlane/core';

/** Key prefix of the resume test's Redis store. */
export const RESUME_PREFIX = 'fcr:';

/**
 * The durable workflow of the flow-control resume test: one run per tenant at once. `work` is what its node does
 * (the child process holds forever; the test's engine holds until the test lets it go).
 */
export function durableJob(work: (executionId: string, attempt: number) => Promise<void>) {
  return workflow('durable-job', { version: '1', concurrency: { key: (ctx) => ctx.input.tenant, limit: 1 } })
    .input<{ tenant: string }>()
    .addNode('work', (ctx) => work(ctx.executionId, ctx.attempt))
    .build();
}

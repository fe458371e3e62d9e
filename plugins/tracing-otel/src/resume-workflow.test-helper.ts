import { workflow } from '@flowlane/core';

/**
 * Shared by resume.test.ts and its child process: `first` completes, then `hold` waits a minute in the child (env
 * `FLOWLANE_TEST_HOLD=1`, where the test kills it with SIGKILL) and returns at once in the test process that resumes
 * the run.
 */
export const resumeWorkflow = workflow('resumable', { version: '1' })
  .addNode('first', () => 1)
  .chain('hold', async () => {
    if (process.env.FLOWLANE_TEST_HOLD === '1') await new Promise((r) => setTimeout(r, 60_000));
    return 2;
  })
  .build();

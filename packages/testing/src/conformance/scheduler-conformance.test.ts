import { createFifoScheduler } from '@flowlane/core';
import { schedulerConformance } from './scheduler-conformance.js';

schedulerConformance('createFifoScheduler', ({ concurrency }) => createFifoScheduler({ concurrency }), {
  ordering: 'fifo',
});

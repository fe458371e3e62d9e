import { schedulerConformance } from '@flowlane/testing';
import { createRoundRobinScheduler } from './round-robin-scheduler.js';

schedulerConformance(
  'round-robin (one worker)',
  ({ concurrency }) => createRoundRobinScheduler({ workers: [{ id: 'w', capacity: concurrency }] }),
  { ordering: 'priority' },
);
schedulerConformance(
  'round-robin (one slot per worker)',
  ({ concurrency }) =>
    createRoundRobinScheduler({ workers: Array.from({ length: concurrency }, (_, i) => ({ id: `w${i}` })) }),
  { ordering: 'priority' },
);

import { schedulerConformance } from '@flowlane/testing';
import { createLoadBasedScheduler } from './load-based-scheduler.js';

schedulerConformance(
  'load-based',
  ({ concurrency }) =>
    createLoadBasedScheduler({
      workers: [
        { id: 'big', capacity: Math.ceil(concurrency / 2) },
        { id: 'small', capacity: Math.floor(concurrency / 2) || 1 },
      ].slice(0, concurrency === 1 ? 1 : 2),
    }),
  { ordering: 'priority' },
);
schedulerConformance(
  'load-based with a load source',
  ({ concurrency }) => createLoadBasedScheduler({ workers: [{ id: 'w', capacity: concurrency }], getLoad: () => 0.5 }),
  { ordering: 'priority' },
);

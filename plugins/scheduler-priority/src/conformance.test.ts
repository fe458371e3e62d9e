import { createFifoScheduler } from '@flowlane/core';
import { schedulerConformance } from '@flowlane/testing';
import { createPriorityScheduler } from './priority-scheduler.js';
import { createResourcePools } from './resource-pools.js';
import { withResourcePools } from './with-resource-pools.js';

schedulerConformance('priority', ({ concurrency }) => createPriorityScheduler({ concurrency }), {
  ordering: 'priority',
});
schedulerConformance(
  'priority with pools',
  ({ concurrency }) => createPriorityScheduler({ concurrency, pools: createResourcePools({ capacity: { cpu: 4 } }) }),
  { ordering: 'priority' },
);
schedulerConformance(
  'fifo with resource pools',
  ({ concurrency }) =>
    withResourcePools(createFifoScheduler({ concurrency }), createResourcePools({ capacity: { cpu: 4 } })),
  { ordering: 'fifo' },
);

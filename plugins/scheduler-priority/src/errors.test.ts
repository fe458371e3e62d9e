import { isFlowlaneError, SharedSchedulerErrorCodes } from '@flowlane/core';
import { PlacementError, PlacementErrorCodes } from '@flowlane/scheduler-placement';
import { describe, expect, it } from 'vitest';
import { isSchedulerError, SchedulerError, SchedulerErrorCodes } from './errors.js';

describe('error table', () => {
  it('carries the Flowlane brand so core recognises and serialises it', () => {
    const e = new SchedulerError('FL_SCHED_DISPOSED', { scheduler: 'x', nodeId: 'n' });
    expect(isFlowlaneError(e)).toBe(true);
    expect(isSchedulerError(e, 'FL_SCHED_DISPOSED')).toBe(true);
    expect(isSchedulerError(e, 'FL_SCHED_INVALID_OPTION')).toBe(false);
    expect(isSchedulerError(new Error('x'))).toBe(false);
    expect(e.message).toContain('node "n"');
  });

  it('shares FL_SCHED_INVALID_OPTION / FL_SCHED_DISPOSED with the placement schedulers (one definition, in core)', () => {
    const placement = new PlacementError('FL_SCHED_DISPOSED', { scheduler: 'round-robin scheduler', nodeId: 'n' });
    expect(isSchedulerError(placement, 'FL_SCHED_DISPOSED')).toBe(true);
    expect(isSchedulerError(placement)).toBe(true);
    expect(placement.message).toBe(new SchedulerError('FL_SCHED_DISPOSED', placement.details).message);
    expect(SchedulerErrorCodes.FL_SCHED_INVALID_OPTION).toBe(SharedSchedulerErrorCodes.FL_SCHED_INVALID_OPTION);
    expect(PlacementErrorCodes.FL_SCHED_DISPOSED).toBe(SharedSchedulerErrorCodes.FL_SCHED_DISPOSED);
    // Each package's own codes stay its own.
    const unknown = new PlacementError('FL_SCHED_UNKNOWN_WORKER', { scheduler: 's', workerId: 'x', known: [] });
    expect(isSchedulerError(unknown)).toBe(false);
  });
});

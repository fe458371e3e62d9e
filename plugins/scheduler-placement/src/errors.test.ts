import { isFlowlaneError } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { isPlacementError, PlacementError } from './errors.js';

describe('error table', () => {
  it('carries the Flowlane brand so core recognises and serialises it', () => {
    const e = new PlacementError('FL_SCHED_UNKNOWN_WORKER', { scheduler: 's', workerId: 'x', known: ['a'] });
    expect(isFlowlaneError(e)).toBe(true);
    expect(isPlacementError(e, 'FL_SCHED_UNKNOWN_WORKER')).toBe(true);
    expect(isPlacementError(e, 'FL_SCHED_DISPOSED')).toBe(false);
    expect(e.message).toBe('s has no worker "x" (workers: a). Fix the id or add the worker.');
  });
});

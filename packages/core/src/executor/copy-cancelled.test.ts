import { describe, expect, it } from 'vitest';
import { FlowlaneError, isFlowlaneError } from '../errors.js';
import { copyCancelled } from './copy-cancelled.js';

describe('copyCancelled', () => {
  it("passes the engine's FlowlaneError through as is", () => {
    const reason = new FlowlaneError('FL_TIMEOUT', { nodeId: 'n', ms: 5 });
    expect(copyCancelled(AbortSignal.abort(reason), '/data/in')).toBe(reason);
  });

  it('wraps any other reason in FL_CANCELLED naming the path, with the reason as cause', () => {
    const reason = new Error('user pressed stop');
    const e = copyCancelled(AbortSignal.abort(reason), '/data/in');
    expect(isFlowlaneError(e, 'FL_CANCELLED')).toBe(true);
    expect(e.message).toContain('copy of "/data/in" aborted');
    expect(e.cause).toBe(reason);
  });
});

import { describe, expect, it } from 'vitest';
import { JobAbort } from './job-abort.js';

describe("a worker job's abort (JobAbort)", () => {
  it('aborts a signal the node already holds, once, with the first reason', () => {
    const a = new JobAbort();
    const signal = a.signal;
    expect(a.signal).toBe(signal);
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    a.abort('cancelled by the coordinator');
    a.abort('second');
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual(['cancelled by the coordinator']);
  });

  it('a cancellation before the node looks makes its signal already aborted, with the reason', () => {
    const a = new JobAbort();
    a.abort('cancelled by the coordinator');
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe('cancelled by the coordinator');
  });
});

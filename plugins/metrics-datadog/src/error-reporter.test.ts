import type { Logger } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { createErrorReporter } from './error-reporter.js';

describe('createErrorReporter', () => {
  it('logs at most one FL_DATADOG_CLIENT_ERROR per interval and counts the ones it held back', () => {
    const logged: [string, unknown][] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m, f) => void logged.push([m, f]),
      error: () => undefined,
    };
    let now = 1000;
    const report = createErrorReporter(logger, 30_000, () => now);
    report(new Error('ECONNREFUSED'));
    report(new Error('ECONNREFUSED'));
    now += 10_000;
    report('EPIPE');
    now += 25_000;
    report(new Error('EHOSTUNREACH'));
    expect(logged).toEqual([
      [
        'The DogStatsD client reported an error: ECONNREFUSED. Metrics may be lost; check that the agent is reachable (host, port, DD_AGENT_HOST, DD_DOGSTATSD_PORT).',
        { code: 'FL_DATADOG_CLIENT_ERROR', suppressed: 0 },
      ],
      [
        expect.stringContaining('EHOSTUNREACH (2 more since the last report)'),
        { code: 'FL_DATADOG_CLIENT_ERROR', suppressed: 2 },
      ],
    ]);
  });

  it('survives a throwing logger', () => {
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => {
        throw new Error('logger down');
      },
      error: () => undefined,
    };
    expect(() => createErrorReporter(logger)(new Error('x'))).not.toThrow();
  });
});

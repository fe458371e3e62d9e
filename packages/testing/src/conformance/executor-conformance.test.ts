import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLocalExecutor, isFlowlaneError } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { type ExecutorConformanceOptions, executorConformance } from './executor-conformance.js';
import { localWithoutStdinAndCopies } from './executor-unsupported.test-helper.js';

executorConformance('createLocalExecutor', () => createLocalExecutor({ killGraceMs: 500 }));

// Declared unsupported: the suite checks that stdin and copies fail with FL_EXEC_UNSUPPORTED, and runs the rest.
executorConformance('local without stdin and copies', () => localWithoutStdinAndCopies(true), {
  unsupported: { stdin: 'FL_EXEC_UNSUPPORTED', copyFile: 'FL_EXEC_UNSUPPORTED', copyDirectory: 'FL_EXEC_UNSUPPORTED' },
});

const here = dirname(fileURLToPath(import.meta.url));

describe('executorConformance options', () => {
  const thrown = (options: unknown): unknown => {
    try {
      executorConformance('never registered', () => createLocalExecutor(), options as ExecutorConformanceOptions);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('rejects skip (replaced by unsupported) with FL_INVALID_OPTION saying what to use instead', () => {
    const e = thrown({ skip: ['stdin'] });
    expect(isFlowlaneError(e, 'FL_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toContain('unsupported: { <feature>: <error code> }');
  });

  it('rejects unknown keys with a suggestion, and unsupported values that are not error codes', () => {
    expect((thrown({ unsuported: {} }) as Error).message).toContain('did you mean "unsupported"?');
    expect((thrown({ unsupported: { stdn: 'FL_EXEC_UNSUPPORTED' } }) as Error).message).toContain('unsupported.stdn');
    expect((thrown({ commands: { ecko: () => ({ command: 'x' }) } }) as Error).message).toContain(
      'did you mean "echo"?',
    );
    const notACode = thrown({ unsupported: { stdin: true } });
    expect(isFlowlaneError(notACode, 'FL_INVALID_OPTION')).toBe(true);
    expect((notACode as Error).message).toContain("'FL_EXEC_UNSUPPORTED'");
  });

  it('fails an executor that declares stdin and copies unsupported but silently ignores them', async () => {
    // A child vitest runs the suite against the lying executor; its declared-unsupported checks must fail.
    const vitest = join(here, '../../node_modules/vitest/vitest.mjs');
    const out = await promisify(execFile)(
      process.execPath,
      [
        vitest,
        'run',
        '--config',
        'fixtures/executor-conformance/vitest.config.ts',
        '--reporter',
        'json',
        '-t',
        'declared unsupported',
      ],
      { cwd: join(here, '../..'), env: { ...process.env, CI: '1' }, maxBuffer: 16 * 1024 * 1024 },
    ).then(
      () => expect.unreachable('the suite passed an executor that ignores what it declared unsupported'),
      (e: { stdout: string }) => e.stdout,
    );
    const report = JSON.parse(out.slice(out.indexOf('{'))) as {
      testResults: { assertionResults: { title: string; status: string }[] }[];
    };
    const results = report.testResults.flatMap((f) => f.assertionResults);
    const declared = results.filter((r) => r.title.includes('declared unsupported'));
    expect(declared.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
  }, 60_000);
});

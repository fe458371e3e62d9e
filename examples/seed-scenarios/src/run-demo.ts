import { styleText } from 'node:util';
import {
  createPlainProgress,
  createTtyProgress,
  formatSummary,
  isInteractive,
  type SummaryRow,
  summarize,
} from '@flowlane/cli';
import { createEngine, type FlowEvent, type RunResult } from '@flowlane/core';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { createReleaseWorkflow, type ReleaseInput, type ReleaseWorkflowOptions } from './release-workflow.js';

export interface DemoOptions extends ReleaseWorkflowOptions {
  /** In-place rows (true) or one line per event (false). Default: {@link isInteractive}(stdout). */
  readonly tty?: boolean | undefined;
  /** Where text goes. Default stdout. */
  readonly write?: ((line: string) => void) | undefined;
}

/** The two releases the demo ships: the second reuses the lockfile, so its dependency scan is a cache hit. */
export const DEMO_RELEASES: readonly ReleaseInput[] = [
  { version: '1.4.0', lockfileHash: 'sha256-9f2c41' },
  { version: '1.4.1', lockfileHash: 'sha256-9f2c41' },
];

/** A terminal with a known size (re-exported from `@flowlane/cli`, where the live view lives). */
export { isInteractive };

const STATUS_STYLE = { success: 'green', failed: 'red', timeout: 'red', skipped: 'dim', cancelled: 'dim' } as const;

/**
 * Runs the release workflow twice on one engine, showing live per-node progress and a summary table per run.
 * Resolves with every run's result and summary rows once the engine is closed.
 */
export async function runDemo({
  tty = isInteractive(process.stdout),
  write = (line) => process.stdout.write(`${line}\n`),
  ...workflowOptions
}: DemoOptions = {}): Promise<{ result: RunResult<object>; rows: SummaryRow[] }[]> {
  const wf = createReleaseWorkflow(workflowOptions);
  const description = wf.toJSON();
  const paint = tty
    ? (status: string, padded: string) =>
        status in STATUS_STYLE ? styleText(STATUS_STYLE[status as keyof typeof STATUS_STYLE], padded) : padded
    : undefined;
  const engine = createEngine();
  const outcomes: { result: RunResult<object>; rows: SummaryRow[] }[] = [];
  try {
    for (const [k, input] of DEMO_RELEASES.entries()) {
      const title = `Release ${input.version} (run ${k + 1} of ${DEMO_RELEASES.length})`;
      write(k === 0 ? title : `\n${title}`);
      const run = engine.run(wf, input);
      const view = tty ? createTtyProgress(`  ${wf.name}`, description) : createPlainProgress(write);
      const events: FlowEvent[] = await lastValueFrom(run.events$.pipe(tap(view), toArray()));
      const result = await run.result;
      const rows = summarize(description, result, events);
      write('');
      write(formatSummary(rows, paint));
      write(`\n${wf.name} ${input.version}: ${result.status} in ${(result.durationMs / 1000).toFixed(2)} s`);
      outcomes.push({ result, rows });
    }
  } finally {
    await engine.close();
  }
  return outcomes;
}

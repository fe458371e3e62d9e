import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { styleText } from 'node:util';
import type { Engine, FlowEvent, RunResult } from '@flowlane/core';
import { createLogUpdate } from 'log-update';
import { CliError, ExitCode } from '../cli-error.js';
import { coreFor, engineFor, importWorkflowFile, pickWorkflow } from '../load-workflow.js';
import { createPlainProgress, createTtyProgress, isInteractive } from '../progress/progress-view.js';
import { formatSummary, seconds, summarize } from '../progress/summary-table.js';
import { type CliIo, println } from './io.js';

/** Options of `flowlane run`. */
export interface RunCommandOptions {
  readonly export?: string | undefined;
  readonly input?: string | undefined;
  readonly json?: boolean | undefined;
}

/** `--input '{"a":1}'` or `--input @input.json` (relative to the current directory). Default `{}`. */
export function parseInput(raw: string | undefined, cwd: string): unknown {
  if (raw === undefined) return {};
  let text = raw;
  let source = '--input';
  if (raw.startsWith('@')) {
    const path = resolve(cwd, raw.slice(1));
    source = raw.slice(1);
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new CliError(
        `Cannot read the input file ${source}: ${(e as Error).message}`,
        'Pass --input @path/to/input.json with an existing file, or inline JSON.',
        ExitCode.usage,
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CliError(
      `${source} is not valid JSON: ${(e as Error).message}`,
      `Quote the JSON for your shell, e.g. --input '{"version":"1.4.2"}', or use --input @input.json.`,
      ExitCode.usage,
    );
  }
}

const STATUS_STYLE = { success: 'green', failed: 'red', timeout: 'red', skipped: 'dim', cancelled: 'dim' } as const;

/** JSON.stringify that survives BigInts and cycles in custom event payloads. */
function toJsonLine(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

/**
 * `flowlane run <file>`: runs the chosen workflow with live progress (in-place rows on a terminal, a line per event
 * when piped, NDJSON with `--json`), prints a summary table and returns the exit code: 0 success, 1 failed, 130 when
 * Ctrl-C cancelled the run (its commands are killed through the nodes' abort signals before the process exits).
 */
export async function runCommand(file: string, opts: RunCommandOptions, io: CliIo): Promise<number> {
  const input = parseInput(opts.input, io.cwd);
  const mod = await importWorkflowFile(file, io.cwd);
  const { workflow } = pickWorkflow(mod, opts.export);
  const engine: Engine = engineFor(mod, await coreFor(mod.file));
  const description = workflow.toJSON();
  const mode = opts.json ? 'json' : isInteractive(io.stdout) ? 'tty' : 'plain';
  const color = mode === 'tty' && io.env.NO_COLOR === undefined;
  const write = (line: string): void => println(io.stdout, line);

  let interrupted: NodeJS.Signals | undefined;
  const events: FlowEvent[] = [];
  let result: RunResult<object>;
  const stopSignals = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (interrupted !== undefined) {
      // A second Ctrl-C: stop waiting for the run to wind down.
      process.exit(ExitCode.interrupted);
    }
    interrupted = signal;
    run.cancel(`interrupted (${signal})`);
  }
  const run = engine.run(workflow, input);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const view: { next(e: FlowEvent): void; complete?(): void } =
      mode === 'json'
        ? { next: (e: FlowEvent) => write(toJsonLine(e)) }
        : mode === 'tty'
          ? createTtyProgress(`${workflow.name}`, description, {
              logUpdate: createLogUpdate(io.stdout as NodeJS.WriteStream),
              color,
            })
          : createPlainProgress(write);
    await new Promise<void>((done) => {
      run.events$.subscribe({
        next: (e) => {
          events.push(e);
          view.next(e);
        },
        error: () => {
          view.complete?.();
          done();
        },
        complete: () => {
          view.complete?.();
          done();
        },
      });
    });
    result = await run.result;
  } finally {
    await engine.close();
    stopSignals();
  }

  if (mode === 'json') {
    write(
      toJsonLine({
        type: 'run.result',
        executionId: result.executionId,
        workflow: result.workflow,
        status: result.status,
        durationMs: result.durationMs,
        nodes: result.nodes,
        ...(result.error === undefined ? {} : { error: { code: result.error.code, message: result.error.message } }),
      }),
    );
  } else {
    const rows = summarize(description, result, events);
    const paint = color
      ? (status: string, padded: string) =>
          status in STATUS_STYLE ? styleText(STATUS_STYLE[status as keyof typeof STATUS_STYLE], padded) : padded
      : undefined;
    write('');
    write(formatSummary(rows, paint));
    write('');
    write(`${workflow.name}: ${result.status} in ${seconds(result.durationMs)}`);
    if (result.status === 'failed' && result.error !== undefined)
      println(io.stderr, `✖ ${result.error.code}: ${result.error.message.split('\n', 1)[0]}`);
  }
  if (interrupted !== undefined) return ExitCode.interrupted;
  return result.status === 'success' ? ExitCode.ok : ExitCode.failed;
}

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { styleText } from 'node:util';
import type { Engine, FlowEvent, FlowlanePlugin, Run, RunResult, WorkflowDescription } from '@flowlane/core';
import { createLogUpdate } from 'log-update';
import { CliError, ExitCode } from '../cli-error.js';
import { coreFor, engineFor, importWorkflowFile, pickWorkflow } from '../load-workflow.js';
import { createPlainProgress, createTtyProgress, isInteractive } from '../progress/progress-view.js';
import { formatSummary, seconds, summarize } from '../progress/summary-table.js';
import { loadStoreRedis, type StoreOptions, storeUrl } from '../store/open-store.js';
import { type CliIo, println } from './io.js';

/** Options of `flowlane run`. */
export interface RunCommandOptions {
  readonly export?: string | undefined;
  readonly input?: string | undefined;
  readonly json?: boolean | undefined;
  /** `redis://…`: run durably on this Redis execution store (`@flowlane/store-redis`). */
  readonly store?: string | undefined;
  /** Key prefix in the store. Default the store's (`flowlane:`). */
  readonly prefix?: string | undefined;
  /** The execution id (default: a generated one). */
  readonly id?: string | undefined;
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
export function toJsonLine(value: unknown): string {
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

/** How a run is shown: in-place rows on a terminal, a line per event when piped, NDJSON with `--json`. */
export type ViewMode = 'tty' | 'plain' | 'json';

/** The mode for `--json` and this stdout. */
export const viewMode = (json: boolean | undefined, io: CliIo): ViewMode =>
  json ? 'json' : isInteractive(io.stdout) ? 'tty' : 'plain';

/** A progress view (an RxJS observer) for `mode`. */
export function createView(
  mode: ViewMode,
  title: string,
  description: WorkflowDescription,
  io: CliIo,
): { next(e: FlowEvent): void; complete?(): void } {
  const write = (line: string): void => println(io.stdout, line);
  return mode === 'json'
    ? { next: (e: FlowEvent) => write(toJsonLine(e)) }
    : mode === 'tty'
      ? createTtyProgress(title, description, {
          logUpdate: createLogUpdate(io.stdout as NodeJS.WriteStream),
          color: io.env.NO_COLOR === undefined,
        })
      : createPlainProgress(write);
}

/**
 * `flowlane run <file>`: runs the chosen workflow with live progress (in-place rows on a terminal, a line per event
 * when piped, NDJSON with `--json`), prints a summary table and returns the exit code: 0 success, 1 failed, 130 when
 * Ctrl-C cancelled the run (its commands are killed through the nodes' abort signals before the process exits).
 * With `--store redis://…` the run is durable: logged in that Redis, visible to `flowlane runs`, resumable.
 */
export async function runCommand(file: string, opts: RunCommandOptions, io: CliIo): Promise<number> {
  // An empty id reached engine.run and failed as a run (exit 1, "engine.run: invalid executionId"): it is bad usage.
  if (opts.id !== undefined && opts.id.trim() === '')
    throw new CliError(
      '--id is empty.',
      'Pass an execution id, e.g. --id release-42, or leave --id out.',
      ExitCode.usage,
    );
  const input = parseInput(opts.input, io.cwd);
  const mod = await importWorkflowFile(file, io.cwd);
  const { workflow } = pickWorkflow(mod, opts.export);
  const core = await coreFor(mod.file);
  const extra = opts.store === undefined ? [] : [await storePlugin(opts, io)];
  const engine: Engine = engineFor(mod, core, { plugins: extra });
  return followRun(
    engine,
    () => engine.run(workflow, input, opts.id === undefined ? {} : { executionId: opts.id }),
    workflow.name,
    workflow.toJSON(),
    opts,
    io,
  );
}

/** Builds the `redisStore()` plugin for `--store` (the engine executes runs: it listens for cancel requests). */
async function storePlugin(opts: StoreOptions, io: CliIo): Promise<Readonly<FlowlanePlugin>> {
  const url = storeUrl(opts, io);
  const redis = await loadStoreRedis(io);
  return redis.redisStore({ url, prefix: opts.prefix });
}

/**
 * Shows a run live and then its summary; closes the engine; resolves to the exit code. `seed` are events that
 * happened before (a resumed run's log), shown first. Ctrl-C cancels the run (130).
 */
export async function followRun(
  engine: Engine,
  start: () => Run | Promise<Run>,
  title: string,
  description: WorkflowDescription,
  opts: { readonly json?: boolean | undefined },
  io: CliIo,
  seed: readonly FlowEvent[] = [],
): Promise<number> {
  const mode = viewMode(opts.json, io);
  const color = mode === 'tty' && io.env.NO_COLOR === undefined;
  const write = (line: string): void => println(io.stdout, line);

  let interrupted: NodeJS.Signals | undefined;
  const events: FlowEvent[] = [...seed];
  let result: RunResult<object>;
  let run: Run | undefined;
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
    run?.cancel(`interrupted (${signal})`);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    run = await start();
    if (interrupted !== undefined) run.cancel(`interrupted (${interrupted})`);
    const view = createView(mode, title, description, io);
    for (const e of seed) view.next(e);
    const live = run;
    await new Promise<void>((done) => {
      live.events$.subscribe({
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
    result = await live.result;
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
    write(`${title}: ${result.status} in ${seconds(result.durationMs)}`);
    if (result.status === 'failed' && result.error !== undefined)
      println(io.stderr, `✖ ${result.error.code}: ${result.error.message.split('\n', 1)[0]}`);
  }
  if (interrupted !== undefined) return ExitCode.interrupted;
  return result.status === 'success' ? ExitCode.ok : ExitCode.failed;
}

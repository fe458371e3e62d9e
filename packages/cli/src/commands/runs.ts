import {
  type Engine,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionSummary,
  type FlowEvent,
  recordToEvent,
} from '@flowlane/core';
import { CliError, ExitCode } from '../cli-error.js';
import { coreFor, engineFor, importWorkflowFile, isBuilder, isWorkflow } from '../load-workflow.js';
import { applyEvent, createRows, describeEvent } from '../progress/progress-view.js';
import { recordedRun } from '../progress/records.js';
import { seconds } from '../progress/summary-table.js';
import { loadStoreRedis, openReadOnlyStore, type StoreOptions, storeUrl } from '../store/open-store.js';
import { type CliIo, println } from './io.js';
import { createView, followRun, toJsonLine, viewMode } from './run.js';

/** The statuses `runs list --status` takes. */
export const RUN_STATUSES: readonly ExecutionStatus[] = ['running', 'success', 'failed', 'cancelled'];

const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function withStore<T>(opts: StoreOptions, io: CliIo, use: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await openReadOnlyStore(opts, io);
  try {
    return await use(engine);
  } finally {
    await engine.close();
  }
}

async function summaryOf(engine: Engine, executionId: string): Promise<ExecutionSummary> {
  const summary = await engine.runs.get(executionId);
  if (summary === undefined)
    throw new CliError(
      `No run ${executionId} in the store.`,
      'List the runs with `flowlane runs list --store …` (finished runs are removed after the store retention).',
    );
  return summary;
}

/** Options of `flowlane runs list`. */
export interface RunsListOptions extends StoreOptions {
  readonly status?: string | undefined;
  readonly workflow?: string | undefined;
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
  readonly json?: boolean | undefined;
}

/** `flowlane runs list`: newest first, one row per run; `--json` prints `{ runs, cursor }`. */
export async function runsListCommand(opts: RunsListOptions, io: CliIo): Promise<number> {
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!(Number.isInteger(limit) && limit > 0 && limit <= 1000))
    throw new CliError(`--limit ${opts.limit} is not a count.`, 'Pass a whole number from 1 to 1000.', ExitCode.usage);
  storeUrl(opts, io);
  return withStore(opts, io, async (engine) => {
    const page = await engine.runs.list({
      status: opts.status as ExecutionStatus | undefined,
      workflow: opts.workflow,
      limit,
      cursor: opts.cursor,
    });
    if (opts.json) {
      println(
        io.stdout,
        toJsonLine({ runs: page.runs, ...(page.cursor === undefined ? {} : { cursor: page.cursor }) }),
      );
      return ExitCode.ok;
    }
    if (page.runs.length === 0) {
      println(io.stdout, 'No runs.');
      return ExitCode.ok;
    }
    println(
      io.stdout,
      table(
        ['id', 'workflow', 'version', 'status', 'started', 'duration', 'owner'],
        page.runs.map((r) => [
          r.executionId,
          r.workflow,
          r.version ?? '',
          r.status,
          iso(r.startedAt),
          r.finishedAt === undefined ? '' : seconds(r.finishedAt - r.startedAt),
          r.owner ?? '',
        ]),
      ),
    );
    if (page.cursor !== undefined) println(io.stdout, `\nmore: --cursor ${page.cursor}`);
    return ExitCode.ok;
  });
}

/** The node table of a run, from its log. */
function nodeTable(executionId: string, records: readonly ExecutionRecord[]): string {
  const run = recordedRun(executionId, records);
  const rows = createRows(run.description);
  for (const r of records) {
    const e = recordToEvent(r, run);
    if (e !== undefined) applyEvent(rows, e);
  }
  return table(
    ['node', 'status', 'attempts', 'duration', 'notes'],
    [...rows.values()].map((r) => [
      r.id,
      r.state,
      String(r.attempt),
      r.durationMs === undefined ? '' : seconds(r.durationMs),
      r.detail,
    ]),
  );
}

/** One line per record: the event line when the record is an event, else the fact. */
function recordLine(r: ExecutionRecord, event: FlowEvent | undefined, t0: number): string {
  const line = event === undefined ? undefined : describeEvent(event, t0);
  if (line !== undefined) return line;
  const at = `+${seconds(r.at - t0).padStart(7)}`;
  const node = ('nodeId' in r && typeof r.nodeId === 'string' ? r.nodeId : '').padEnd(18);
  switch (r.type) {
    case 'signal.received':
      return `${at}  ${node} ⇢ signal ${r.name} received`;
    case 'signal.consumed':
      return `${at}  ${node} ⇢ signal ${r.name} taken`;
    case 'timer.started':
      return `${at}  ${node} ⏲ waits for ${r.name} until ${iso(r.deadline)}`;
    case 'workflow.resumed':
      return `${at}  ${node} ↺ resumed by ${r.owner} (epoch ${r.epoch})`;
    case 'storage.set':
    case 'storage.deleted':
      return `${at}  ${node} ${r.type === 'storage.set' ? 'storage set' : 'storage deleted'} ${r.key}`;
    default:
      return `${at}  ${node} ${r.type}`;
  }
}

/** `flowlane runs show <id>`: the run, its node table and its events (the log); `--json` prints `{ run, records }`. */
export async function runsShowCommand(
  executionId: string,
  opts: StoreOptions & { readonly json?: boolean | undefined },
  io: CliIo,
): Promise<number> {
  storeUrl(opts, io);
  return withStore(opts, io, async (engine) => {
    const summary = await summaryOf(engine, executionId);
    const records = (await engine.runs.records(executionId)) ?? [];
    if (opts.json) {
      println(io.stdout, toJsonLine({ run: summary, records }));
      return ExitCode.ok;
    }
    const run = recordedRun(executionId, records);
    const t0 = records[0]?.at ?? summary.startedAt;
    println(io.stdout, `run       ${summary.executionId}`);
    println(io.stdout, `workflow  ${summary.workflow}${summary.version === undefined ? '' : ` v${summary.version}`}`);
    println(io.stdout, `status    ${summary.status}`);
    println(io.stdout, `started   ${iso(summary.startedAt)}`);
    if (summary.finishedAt !== undefined)
      println(io.stdout, `finished  ${iso(summary.finishedAt)} (${seconds(summary.finishedAt - summary.startedAt)})`);
    if (summary.owner !== undefined) println(io.stdout, `owner     ${summary.owner} (epoch ${summary.epoch})`);
    const last = records[records.length - 1];
    if (last?.type === 'workflow.failed' && last.error !== undefined)
      println(io.stdout, `error     ${last.error.code}: ${last.error.message.split('\n', 1)[0]}`);
    if (last?.type === 'workflow.cancelled' && last.reason !== undefined)
      println(io.stdout, `reason    ${last.reason}`);
    println(io.stdout);
    println(io.stdout, nodeTable(executionId, records));
    println(io.stdout);
    println(io.stdout, `events (${records.length} records)`);
    for (const r of records) println(io.stdout, recordLine(r, recordToEvent(r, run), t0));
    return ExitCode.ok;
  });
}

/** `flowlane runs cancel <id>`: asks the engine executing the run (any process) to cancel it. */
export async function runsCancelCommand(
  executionId: string,
  opts: StoreOptions & { readonly reason?: string | undefined; readonly wait?: string | undefined },
  io: CliIo,
): Promise<number> {
  const url = storeUrl(opts, io);
  const waitMs = opts.wait === undefined ? 10_000 : Number(opts.wait) * 1000;
  if (!(Number.isFinite(waitMs) && waitMs >= 0))
    throw new CliError(`--wait ${opts.wait} is not a number of seconds.`, 'Pass e.g. --wait 5.', ExitCode.usage);
  const redis = await loadStoreRedis(io);
  const r = await redis.cancelRun(executionId, {
    url,
    prefix: opts.prefix,
    reason: opts.reason ?? `cancelled with flowlane runs cancel`,
    waitMs: Math.round(waitMs),
  });
  const say: Record<string, string> = {
    'cancelled-by-owner': `${executionId} cancelled by the engine executing it.`,
    'cancelled-in-store': `${executionId}: no engine answered; cancelled in the store (its log is finished).`,
    'already-finished': `${executionId} had already finished: ${r.status}.`,
  };
  println(io.stdout, say[r.outcome] ?? `${executionId}: ${r.outcome}`);
  return r.outcome === 'already-finished' ? ExitCode.failed : ExitCode.ok;
}

/**
 * `flowlane runs watch <id>`: the live view of a run executing anywhere, read from its log (polled), until it
 * finishes. Exit code by its outcome: 0 success, 1 failed or cancelled; Ctrl-C stops watching (130), not the run.
 */
export async function runsWatchCommand(
  executionId: string,
  opts: StoreOptions & { readonly json?: boolean | undefined; readonly interval?: string | undefined },
  io: CliIo,
): Promise<number> {
  storeUrl(opts, io);
  const intervalMs = opts.interval === undefined ? 250 : Number(opts.interval);
  if (!(Number.isInteger(intervalMs) && intervalMs >= 20))
    throw new CliError(`--interval ${opts.interval} is not a poll interval.`, 'Pass milliseconds ≥ 20.', 2);
  return withStore(opts, io, async (engine) => {
    await summaryOf(engine, executionId);
    let records = (await engine.runs.records(executionId)) ?? [];
    const run = recordedRun(executionId, records);
    const mode = viewMode(opts.json, io);
    const view = createView(mode, run.workflow, run.description, io);
    let interrupted = false;
    let wake: (() => void) | undefined;
    const onSignal = (): void => {
      interrupted = true;
      wake?.();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let seen = 0;
    let status: string | undefined;
    try {
      for (;;) {
        for (const r of records.slice(seen)) {
          const e = recordToEvent(r, run);
          if (e !== undefined) view.next(e);
          if (r.type === 'workflow.completed') status = 'success';
          else if (r.type === 'workflow.failed') status = 'failed';
          else if (r.type === 'workflow.cancelled') status = 'cancelled';
        }
        seen = Math.max(seen, records.length);
        if (status !== undefined || interrupted) break;
        await new Promise<void>((r) => {
          const t = setTimeout(r, intervalMs);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        if (interrupted) break;
        // The summary is one small read; the log is read only when it grew.
        const now = await engine.runs.get(executionId);
        if (now !== undefined && now.records > records.length)
          records = (await engine.runs.records(executionId)) ?? records;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      view.complete?.();
    }
    if (mode === 'json')
      println(io.stdout, toJsonLine({ type: 'run.status', executionId, status: status ?? 'running' }));
    else println(io.stdout, `\n${run.workflow} (${executionId}): ${status ?? 'still running (stopped watching)'}`);
    if (interrupted) return ExitCode.interrupted;
    return status === 'success' ? ExitCode.ok : ExitCode.failed;
  });
}

/**
 * `flowlane runs resume <id> --file <file>`: continues a run from its log in this process (taking its lease at once:
 * a live previous owner is fenced), with the live view of `flowlane run`. The file provides the definition (every
 * workflow it exports is registered, so the run's own version is found) and its `engineOptions`.
 */
export async function runsResumeCommand(
  executionId: string,
  file: string | undefined,
  opts: StoreOptions & { readonly file?: string | undefined; readonly json?: boolean | undefined },
  io: CliIo,
): Promise<number> {
  const path = file ?? opts.file;
  if (path === undefined)
    throw new CliError(
      'runs resume needs the workflow file.',
      'Pass the file that defines the run’s workflow: flowlane runs resume <id> <file> (or --file <file>).',
      ExitCode.usage,
    );
  const url = storeUrl(opts, io);
  const mod = await importWorkflowFile(path, io.cwd);
  const workflows = Object.values(mod.exports).flatMap((v) => (isWorkflow(v) ? [v] : isBuilder(v) ? [v.build()] : []));
  const redis = await loadStoreRedis(io);
  const engine = engineFor(mod, await coreFor(mod.file), {
    plugins: [redis.redisStore({ url, prefix: opts.prefix })],
    workflows,
  });
  let summary: ExecutionSummary;
  let records: readonly ExecutionRecord[];
  try {
    summary = await summaryOf(engine, executionId);
    records = (await engine.runs.records(executionId)) ?? [];
  } catch (e) {
    await engine.close();
    throw e;
  }
  const wf =
    workflows.find((w) => w.name === summary.workflow && w.version === summary.version) ??
    workflows.find((w) => w.name === summary.workflow);
  const recorded = recordedRun(executionId, records);
  const description = wf?.toJSON() ?? recorded.description;
  const seed = records.flatMap((r) => {
    const e = recordToEvent(r, recorded);
    return e === undefined ? [] : [e];
  });
  return followRun(engine, () => engine.resume(executionId), summary.workflow, description, opts, io, seed);
}

// Live per-node progress of a run, fed from `run.events$`: in-place rows (log-update) on a terminal, one line per
// event otherwise (CI logs, pipes). Both are RxJS observers: `run.events$.subscribe(view)`.
import { styleText } from 'node:util';
import type { FlowEvent, WorkflowDescription } from '@flowlane/core';
import defaultLogUpdate from 'log-update';
import { seconds } from './summary-table.js';

/**
 * True for a terminal with a known size — where the in-place view can draw. A pseudo-terminal without a size (as some
 * CI runners give) would show log-update's frames as nothing, so it gets the line-per-event view.
 *
 * @example
 * ```ts
 * import { createPlainProgress, createTtyProgress, isInteractive } from '@flowlane/cli';
 * import type { Workflow } from '@flowlane/core';
 *
 * declare const wf: Workflow;
 * const view = isInteractive(process.stdout) ? createTtyProgress('deploy', wf.toJSON()) : createPlainProgress();
 * ```
 */
export function isInteractive(stream: {
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0 && (stream.rows ?? 0) > 0;
}

/** What a row shows. */
export type RowState =
  | 'waiting'
  | 'standby'
  | 'running'
  | 'retrying'
  | 'success'
  | 'cached'
  | 'failed'
  | 'skipped'
  | 'timeout'
  | 'cancelled';

/** One node's live state. */
export interface ProgressRow {
  readonly id: string;
  state: RowState;
  attempt: number;
  startedAt: number | undefined;
  durationMs: number | undefined;
  detail: string;
}

const firstLine = (message: string): string => message.split('\n', 1)[0] ?? '';

/** Rows for every node of the workflow (`wf.toJSON()`), updated by {@link applyEvent}. */
export function createRows(description: WorkflowDescription): Map<string, ProgressRow> {
  const roleOf = new Map<string, string>();
  for (const e of description.edges)
    if (e.kind === 'fallback' || e.kind === 'boundary')
      roleOf.set(e.to, `${e.kind === 'fallback' ? 'fallback' : 'error boundary'} for ${e.from}`);
  const groupOf = new Map<string, string>();
  for (const g of description.groups)
    for (const id of g.nodes)
      groupOf.set(id, g.concurrency === undefined ? `group ${g.id}` : `group ${g.id}, ${g.concurrency} at a time`);
  return new Map(
    description.nodes.map((n) => [
      n.id,
      {
        id: n.id,
        state: n.standby ? 'standby' : 'waiting',
        attempt: 0,
        startedAt: undefined,
        durationMs: undefined,
        detail: n.standby ? (roleOf.get(n.id) ?? 'runs only if needed') : (groupOf.get(n.id) ?? ''),
      },
    ]),
  );
}

/** Folds one event into the rows. */
export function applyEvent(rows: Map<string, ProgressRow>, e: FlowEvent): void {
  if (!('nodeId' in e) || e.nodeId === undefined) return;
  const row = rows.get(e.nodeId);
  if (row === undefined) return;
  switch (e.type) {
    case 'node.started':
      row.state = 'running';
      row.attempt = e.attempt;
      row.startedAt ??= e.timestamp;
      row.detail = e.attempt > 1 ? `attempt ${e.attempt}` : '';
      break;
    case 'node.retrying':
      row.state = 'retrying';
      row.detail = `attempt ${e.attempt} failed (${firstLine(e.error.message)}), retrying in ${e.delayMs} ms`;
      break;
    case 'node.fell-back':
      row.detail = `${firstLine(e.error.message)} → falling back to ${e.fallbackId}`;
      break;
    case 'node.cache-hit':
      row.state = 'cached';
      row.detail = e.shared ? 'cache hit (shared)' : 'cache hit';
      break;
    case 'node.completed':
      if (row.state !== 'cached') row.state = 'success';
      row.durationMs = e.durationMs;
      if (e.fallbackUsed !== undefined) row.detail = `via ${e.fallbackUsed}`;
      else if (e.handledBy !== undefined) row.detail = `handled by ${e.handledBy}`;
      else if (row.state !== 'cached') row.detail = e.attempt > 1 ? `after ${e.attempt} attempts` : '';
      break;
    case 'node.failed':
      row.state = row.state === 'timeout' ? 'timeout' : 'failed';
      row.durationMs = e.durationMs;
      row.detail = `${firstLine(e.error.message)}${e.continued ? ' (run continues)' : ''}`;
      break;
    case 'node.timed-out':
      row.state = 'timeout';
      row.detail = `timed out after ${e.timeoutMs} ms`;
      break;
    case 'node.skipped':
      row.detail = row.state === 'standby' ? 'not needed' : `skipped (${e.reason})`;
      row.state = 'skipped';
      break;
    case 'node.cancelled':
      row.state = 'cancelled';
      row.durationMs = e.durationMs;
      row.detail = e.reason;
      break;
    default:
      break;
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;
type Style = Parameters<typeof styleText>[0];
const ICONS: Record<RowState, readonly [string, Style]> = {
  waiting: ['·', 'dim'],
  standby: ['◌', 'dim'],
  running: ['', 'cyan'],
  retrying: ['↻', 'yellow'],
  success: ['✔', 'green'],
  cached: ['⚡', 'green'],
  failed: ['✖', 'red'],
  skipped: ['⤼', 'dim'],
  timeout: ['⏱', 'red'],
  cancelled: ['⊘', 'dim'],
};

/** The in-place frame: a header, then one row per node with an icon, the time spent and what is going on. */
export function renderFrame(
  title: string,
  rows: Iterable<ProgressRow>,
  now: number,
  tick: number,
  paint: (style: Style, text: string) => string = (_s, t) => t,
): string {
  const list = [...rows];
  const width = Math.max(...list.map((r) => r.id.length));
  const settled = list.filter((r) => !['waiting', 'standby', 'running', 'retrying'].includes(r.state)).length;
  const lines = [`${title}  ·  ${settled}/${list.length} settled`];
  for (const r of list) {
    const [icon, style] = ICONS[r.state];
    const glyph = r.state === 'running' ? SPINNER[tick % SPINNER.length]! : icon;
    const time =
      r.durationMs !== undefined
        ? seconds(r.durationMs)
        : r.startedAt !== undefined
          ? seconds(Math.max(0, now - r.startedAt))
          : '';
    const state = r.state === 'running' ? 'running' : r.state;
    lines.push(
      `  ${paint(style, glyph)} ${r.id.padEnd(width)}  ${paint(style, state.padEnd(9))} ${time.padStart(7)}  ${paint('dim', r.detail)}`.trimEnd(),
    );
  }
  return lines.join('\n');
}

/** Options of {@link createTtyProgress}. */
export interface TtyProgressOptions {
  /** Replaces the previous frame (default: log-update on stdout). */
  readonly logUpdate?: ((text: string) => void) & { done(): void };
  readonly now?: (() => number) | undefined;
  /** Spinner refresh, ms. Default 80. */
  readonly intervalMs?: number | undefined;
  readonly color?: boolean | undefined;
}

/**
 * In-place rows, redrawn on every event and on a spinner tick; `complete()` leaves the final frame on screen.
 *
 * @example
 * ```ts
 * import { createTtyProgress } from '@flowlane/cli';
 * import type { Engine, Workflow } from '@flowlane/core';
 *
 * declare const engine: Engine;
 * declare const wf: Workflow;
 * const run = engine.run(wf, {});
 * run.events$.subscribe(createTtyProgress(wf.name, wf.toJSON()));
 * ```
 */
export function createTtyProgress(
  title: string,
  description: WorkflowDescription,
  { logUpdate = defaultLogUpdate, now = Date.now, intervalMs = 80, color = true }: TtyProgressOptions = {},
) {
  const rows = createRows(description);
  const paint = color ? (s: Style, t: string) => styleText(s, t) : undefined;
  let tick = 0;
  let t0: number | undefined;
  let outcome: string | undefined;
  const draw = (): void => {
    const clock = outcome ?? (t0 === undefined ? 'queued' : seconds(Math.max(0, now() - t0)));
    logUpdate(renderFrame(`${title}  ${clock}`, rows.values(), now(), tick, paint));
  };
  const timer = setInterval(() => {
    tick++;
    draw();
  }, intervalMs);
  const stop = (): void => {
    clearInterval(timer);
    draw();
    logUpdate.done();
  };
  draw();
  return {
    next(e: FlowEvent): void {
      if (e.type === 'workflow.started') t0 = e.timestamp;
      else if (e.type === 'workflow.completed' || e.type === 'workflow.failed' || e.type === 'workflow.cancelled')
        outcome = `${e.type.slice('workflow.'.length)} in ${seconds(e.durationMs)}`;
      applyEvent(rows, e);
      draw();
    },
    error: stop,
    complete: stop,
  };
}

/** One line for an event, or undefined for events not worth a line. `t0` is the run's start (event clock). */
export function describeEvent(e: FlowEvent, t0: number): string | undefined {
  const at = `+${seconds(e.timestamp - t0).padStart(7)}`;
  const node = 'nodeId' in e && e.nodeId !== undefined ? e.nodeId.padEnd(18) : ''.padEnd(18);
  const say = (text: string): string => `${at}  ${node} ${text}`;
  switch (e.type) {
    case 'workflow.started':
      return say(`▶ ${e.workflow} started (${e.nodeCount} nodes)`);
    case 'workflow.completed':
      return say(`■ ${e.workflow} completed in ${seconds(e.durationMs)}`);
    case 'workflow.failed':
      return say(`■ ${e.workflow} failed: ${firstLine(e.error.message)}`);
    case 'workflow.cancelled':
      return say(`■ ${e.workflow} cancelled: ${e.reason}`);
    case 'node.started':
      return say(e.attempt > 1 ? `… started (attempt ${e.attempt})` : '… started');
    case 'node.completed':
      return say(
        `✔ completed in ${seconds(e.durationMs)}${e.fallbackUsed === undefined ? '' : ` via ${e.fallbackUsed}`}${e.handledBy === undefined ? '' : ` (handled by ${e.handledBy})`}`,
      );
    case 'node.failed':
      return say(`✖ failed: ${firstLine(e.error.message)}${e.continued ? ' (run continues)' : ''}`);
    case 'node.retrying':
      return say(`↻ attempt ${e.attempt} failed (${firstLine(e.error.message)}), retrying in ${e.delayMs} ms`);
    case 'node.fell-back':
      return say(`↪ ${firstLine(e.error.message)} → falling back to ${e.fallbackId}`);
    case 'node.cache-hit':
      return say(`⚡ cache hit${e.shared ? ' (shared)' : ''}`);
    case 'node.skipped':
      return say(`⤼ skipped (${e.reason})`);
    case 'node.timed-out':
      return say(`⏱ timed out after ${e.timeoutMs} ms`);
    case 'node.cancelled':
      return say(`⊘ cancelled after ${seconds(e.durationMs)}: ${e.reason}`);
    case 'node.log':
      return say(`  ${e.level}: ${e.message}`);
    default:
      return undefined;
  }
}

/**
 * One line per event (for pipes and CI logs).
 *
 * @example
 * ```ts
 * import { createPlainProgress } from '@flowlane/cli';
 * import type { Run } from '@flowlane/core';
 *
 * declare const run: Run; // from engine.run(…)
 * run.events$.subscribe(createPlainProgress((line) => console.log(line)));
 * ```
 */
export function createPlainProgress(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
  let t0: number | undefined;
  return {
    next(e: FlowEvent): void {
      t0 ??= e.timestamp;
      const line = describeEvent(e, t0);
      if (line !== undefined) write(line);
    },
  };
}

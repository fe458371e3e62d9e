import type { FlowEvent, RunResult, WorkflowDescription } from '@flowlane/core';

/** One row of the end-of-run table. */
export interface SummaryRow {
  readonly node: string;
  readonly status: string;
  readonly attempts: number;
  readonly durationMs: number;
  readonly notes: string;
}

const firstLine = (message: string): string => message.split('\n', 1)[0] ?? '';

/**
 * One row per node of a workflow (`wf.toJSON()`, in definition order) from a run's result and events: status,
 * attempts, duration and what happened on the way (retries, fallbacks, cache hits, skips, continued failures).
 */
export function summarize(
  description: WorkflowDescription,
  result: RunResult<object>,
  events: readonly FlowEvent[],
): SummaryRow[] {
  const standby = new Set(description.nodes.flatMap((n) => (n.standby ? [n.id] : [])));
  const notes = new Map<string, string[]>();
  const note = (id: string, text: string): void => {
    const list = notes.get(id) ?? [];
    if (!list.includes(text)) list.push(text);
    notes.set(id, list);
  };
  for (const e of events) {
    switch (e.type) {
      case 'node.retrying':
        note(e.nodeId, `retried after: ${firstLine(e.error.message)}`);
        break;
      case 'node.fell-back':
        note(e.nodeId, `fell back to ${e.fallbackId} (${firstLine(e.error.message)})`);
        note(e.fallbackId, `stood in for ${e.nodeId}`);
        break;
      case 'node.cache-hit':
        note(e.nodeId, e.shared ? 'cache hit (joined a running computation)' : 'cache hit');
        break;
      case 'node.skipped':
        note(e.nodeId, standby.has(e.nodeId) ? 'standby, not needed' : `skipped: ${e.reason}`);
        break;
      case 'node.failed':
        if (e.continued) note(e.nodeId, `failed, run continued: ${firstLine(e.error.message)}`);
        else if (e.handledBy !== undefined) note(e.nodeId, `handled by ${e.handledBy}`);
        else note(e.nodeId, firstLine(e.error.message));
        break;
      case 'node.timed-out':
        note(e.nodeId, `timed out after ${e.timeoutMs} ms`);
        break;
      default:
        break;
    }
  }
  return description.nodes.map(({ id }) => {
    const record = result.nodes[id];
    const skippedStandby = record?.status === 'skipped' && standby.has(id);
    if (skippedStandby && !notes.has(id)) note(id, 'standby, not needed');
    return {
      node: id,
      status: record?.status ?? 'unknown',
      attempts: record?.attempts ?? 0,
      durationMs: record?.durationMs ?? 0,
      notes: (notes.get(id) ?? []).join('; '),
    };
  });
}

/** Seconds with two decimals: `0.35 s`. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A plain-text table; `paintStatus` may colour the status cell (its padding is computed before painting). */
export function formatSummary(
  rows: readonly SummaryRow[],
  paintStatus: (status: string, padded: string) => string = (_s, padded) => padded,
): string {
  const head = ['node', 'status', 'attempts', 'duration', 'notes'] as const;
  const cells = rows.map((r) => [r.node, r.status, String(r.attempts), seconds(r.durationMs), r.notes] as const);
  const widths = head.map((h, c) => Math.max(h.length, ...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[], paint: boolean): string =>
    row
      .map((cell, c) => {
        const padded = c === 2 || c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!);
        return paint && c === 1 ? paintStatus(cell, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(head, false), rule, ...cells.map((row) => line(row, true))].join('\n');
}

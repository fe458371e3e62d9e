import type { FlowEvent, SerializedError, WorkflowDescription } from '@flowlane/core';

const kib = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

/**
 * The innermost error of a chain, in few words: for a failed command its exit code and stderr (its message repeats
 * the whole command line, which for an `sh -c` script is the script).
 */
function rootMessage(e: SerializedError): string {
  if (e.cause !== undefined) return rootMessage(e.cause);
  const d = e.details as { exitCode?: number | null; stderr?: string } | undefined;
  if (e.code === 'FL_EXEC_FAILED' && d !== undefined) return `exit code ${d.exitCode}: ${d.stderr?.trim() ?? ''}`;
  return e.message;
}

/** What an event says, without its node (empty for events not worth a line). */
function describe(e: FlowEvent): string {
  switch (e.type) {
    case 'workflow.started':
      return `started (${e.nodeCount} nodes)`;
    case 'workflow.completed':
      return `completed in ${e.durationMs} ms`;
    case 'workflow.failed':
      return `failed in ${e.durationMs} ms${e.nodeId === undefined ? '' : ` at ${e.nodeId}`}`;
    case 'workflow.cancelled':
      return `cancelled: ${e.reason}`;
    case 'node.started':
      return e.attempt === 1 ? 'started' : `started (attempt ${e.attempt})`;
    case 'node.completed':
      return `completed in ${e.durationMs} ms`;
    case 'node.failed':
      return `failed: ${rootMessage(e.error)}`;
    case 'node.cancelled':
      return 'cancelled';
    case 'node.retrying':
      return `retrying in ${e.delayMs} ms: ${rootMessage(e.error)}`;
    case 'node.timed-out':
      return `timed out after ${e.timeoutMs} ms`;
    case 'node.log':
      return `${e.level}: ${e.message}`;
    case 'node.health-checked':
      return e.passed
        ? `health check passed (attempt ${e.attempt}/${e.maxAttempts})`
        : `health check failed (attempt ${e.attempt}/${e.maxAttempts})${e.error === undefined ? '' : `: ${rootMessage(e.error)}`}`;
    case 'node.rolled-back':
      return e.error === undefined ? 'rolled back' : `rollback failed: ${rootMessage(e.error)}`;
    case 'artifact.collected':
      return `collected ${e.name} from ${e.from}: ${e.files} files, ${kib(e.bytes)}`;
    case 'artifact.delivered':
      return `delivered ${e.name} to ${e.to}: ${e.files} files, ${kib(e.bytes)}`;
    default:
      return '';
  }
}

/**
 * Where each node runs, from the workflow's JSON description: `local`, `docker:ci`, `ssh:web1`, …
 *
 * @example
 * ```ts
 * import { workflow } from '@flowlane/core';
 * import { executorLabels } from '@flowlane/example-multi-environment';
 *
 * const release = workflow('release').addNode('build', () => 'ok', { executor: 'docker' }).build();
 * const where = executorLabels(release.toJSON()); // { build: 'docker' }
 * ```
 */
export function executorLabels(description: WorkflowDescription): Readonly<Record<string, string>> {
  const labels: Record<string, string> = {};
  for (const n of description.nodes) {
    const sel = n.options.executor as string | { name: string; target?: string } | undefined;
    labels[n.id] =
      sel === undefined ? 'local' : typeof sel === 'string' ? sel : `${sel.name}${sel.target ? `:${sel.target}` : ''}`;
  }
  return labels;
}

/**
 * One line for an event of a run, `+<ms since t0>  <node>  <what happened>`, or `undefined` for events not shown.
 * `t0` is on the engine's clock (the `timestamp` of `workflow.started`, say); `where` labels nodes (`executorLabels`).
 *
 * @example
 * ```ts
 * import type { Run } from '@flowlane/core';
 * import { formatEvent } from '@flowlane/example-multi-environment';
 *
 * declare const run: Run; // from engine.run(…)
 * let t0: number | undefined;
 * run.events$.subscribe((e) => console.log(formatEvent(e, (t0 ??= e.timestamp)) ?? ''));
 * ```
 */
export function formatEvent(
  e: FlowEvent,
  t0: number,
  where: Readonly<Record<string, string>> = {},
): string | undefined {
  const what = describe(e);
  if (what === '') return undefined;
  const nodeId = e.type.startsWith('workflow.') ? undefined : (e as { nodeId?: string }).nodeId;
  const who = nodeId === undefined ? e.workflow : `${nodeId}${where[nodeId] ? ` @ ${where[nodeId]}` : ''}`;
  return `+${String(Math.round(e.timestamp - t0)).padStart(5)} ms  ${who.padEnd(26)} ${what}`;
}

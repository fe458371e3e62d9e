import type { FlowEvent, WorkflowDescription } from '@flowlane/core';

/**
 * The version of the monitor's JSON protocol, sent in the `hello` message. It changes only when a message changes
 * incompatibly; new optional fields and new message types do not change it.
 *
 * @example
 * ```ts
 * import { PROTOCOL_VERSION } from '@flowlane/monitor';
 * console.log(PROTOCOL_VERSION); // 1
 * ```
 */
export const PROTOCOL_VERSION = 1;

/** What a subscription selects: one run, every run of a workflow, or everything. Exactly one key. */
export type SubscriptionTarget =
  | { readonly executionId: string }
  | { readonly workflow: string }
  | { readonly all: true };

/**
 * Messages a client sends (JSON text frames).
 *
 * - `subscribe` with `executionId`: the server answers `history` (the run's events so far), then streams `event`s.
 * - `subscribe` with `workflow` or `all: true`: the server answers `runs` (summaries of the runs it keeps), then
 *   streams `event`s of matching runs; `all` also gets `report` and `alerts` messages.
 * - `unsubscribe` with the same key stops that subscription.
 *
 * @example
 * ```ts
 * import type { ClientMessage } from '@flowlane/monitor';
 * const msg: ClientMessage = { type: 'subscribe', executionId: 'run-1' };
 * ```
 */
export type ClientMessage =
  | ({ readonly type: 'subscribe' } & SubscriptionTarget)
  | ({ readonly type: 'unsubscribe' } & SubscriptionTarget);

/** Live state of a run as the monitor knows it. */
export interface RunSummary {
  /** The run's id. */
  readonly executionId: string;
  /** Its workflow's name. */
  readonly workflow: string;
  /** `running` until its `workflow.completed` / `failed` / `cancelled` event. */
  readonly status: 'running' | 'success' | 'failed' | 'cancelled';
  /** Clock time of `workflow.started`. */
  readonly startedAt: number;
  /** Clock time of the run's last event, once it settled. */
  readonly endedAt?: number | undefined;
  /** The run's duration, once it settled. */
  readonly durationMs?: number | undefined;
  /** Nodes that take part in the run (fallback and boundary handlers that are only on standby not included). */
  readonly nodeCount: number;
  /** Nodes that settled (any status). */
  readonly settledNodes: number;
  /** Nodes that failed for good. */
  readonly failedNodes: number;
  /** Set on a subworkflow run. */
  readonly parentExecutionId?: string | undefined;
}

/** Count, average and maximum of durations in ms. */
export interface DurationStats {
  /** How many durations were counted. */
  readonly count: number;
  /** Their mean, in ms (0 when none). */
  readonly avgMs: number;
  /** The longest, in ms. */
  readonly maxMs: number;
}

/** An alert that is firing now, as shown on the dashboard (see `@flowlane/alerting`). */
export interface MonitorAlert {
  /** Stable id of the alert (e.g. `errorRate:deploy`). */
  readonly id: string;
  /** The rule that raised it. */
  readonly rule: string;
  /** `critical`, `error`, `warning` or `info`. */
  readonly severity?: string | undefined;
  /** What is wrong, for people. */
  readonly message: string;
  /** Clock time it started firing. */
  readonly since: number;
}

/** The dashboard's report (seed 001): counts by status and by executor, durations, active alerts. */
export interface MonitorReport {
  /** Runs the monitor keeps, by status. */
  readonly runs: Readonly<Record<RunSummary['status'], number>>;
  /** Settled node attempts by final status (`success`, `failed`, `skipped`, `cancelled`). */
  readonly nodes: Readonly<Record<string, number>>;
  /** Settled nodes by executor (`local` unless the node names one), then by status. */
  readonly byExecutor: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Durations of settled runs. */
  readonly runDurations: DurationStats;
  /** Durations of settled node attempts that report one. */
  readonly nodeDurations: DurationStats;
  /** Alerts firing now (from the `alerts` option). */
  readonly alerts: readonly MonitorAlert[];
}

/**
 * Messages the server sends (JSON text frames).
 *
 * @example
 * ```ts
 * import type { ServerMessage } from '@flowlane/monitor';
 * const onMessage = (m: ServerMessage) => (m.type === 'event' ? m.event.type : m.type);
 * ```
 */
export type ServerMessage =
  | {
      readonly type: 'hello';
      readonly protocol: 'flowlane-monitor';
      readonly version: typeof PROTOCOL_VERSION;
      readonly heartbeatMs: number;
    }
  | {
      readonly type: 'history';
      readonly executionId: string;
      /** Undefined when the monitor knows nothing of the run yet (its events follow when it starts). */
      readonly run?: RunSummary | undefined;
      readonly description?: WorkflowDescription | undefined;
      readonly events: readonly FlowEvent[];
      /** True when older events were not kept (`maxEventsPerRun`). */
      readonly truncated: boolean;
    }
  | { readonly type: 'runs'; readonly runs: readonly RunSummary[] }
  | {
      readonly type: 'event';
      readonly event: FlowEvent;
      /** Set on `workflow.started`: the run's graph. */
      readonly description?: WorkflowDescription | undefined;
    }
  | { readonly type: 'report'; readonly report: MonitorReport }
  | { readonly type: 'alerts'; readonly alerts: readonly MonitorAlert[] }
  | { readonly type: 'error'; readonly code: ProtocolErrorCode; readonly message: string };

/** Codes of `error` messages (the connection stays open). */
export type ProtocolErrorCode = 'invalid-json' | 'invalid-message' | 'history-unavailable' | 'too-many-subscriptions';

/**
 * How many runs and workflows one connection may subscribe to by name at once (`subscribe` with `executionId` or
 * `workflow`); one more is answered with a `too-many-subscriptions` error. Bounds what a client can make the server
 * keep; `{ all: true }` covers everything without counting.
 */
export const MAX_SUBSCRIPTIONS = 10_000;

/** WebSocket close codes the server uses. */
export const CloseCodes = {
  /** The client read too slowly: its send buffer passed `maxBufferedBytes`. */
  SLOW_CONSUMER: 4008,
  /** The monitor (engine) is closing. */
  GOING_AWAY: 1001,
} as const;

/** Parses and checks one client frame: the message, or the error to answer with. */
export function parseClientMessage(
  text: string,
):
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly code: ProtocolErrorCode; readonly message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'invalid-json', message: 'Frames must be JSON objects with a "type".' };
  }
  const bad = (why: string) => ({ ok: false as const, code: 'invalid-message' as const, message: why });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('Expected a JSON object.');
  const m = value as Record<string, unknown>;
  if (m.type !== 'subscribe' && m.type !== 'unsubscribe')
    return bad(`Unknown message type ${JSON.stringify(m.type)}: expected "subscribe" or "unsubscribe".`);
  const keys = ['executionId', 'workflow', 'all'].filter((k) => m[k] !== undefined);
  if (keys.length !== 1) return bad(`"${m.type}" needs exactly one of "executionId", "workflow" or "all".`);
  const extra = Object.keys(m).filter((k) => k !== 'type' && k !== keys[0]);
  if (extra.length > 0) return bad(`Unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')} in "${m.type}".`);
  if (m.all !== undefined && m.all !== true) return bad('"all" must be true.');
  for (const k of ['executionId', 'workflow'])
    if (m[k] !== undefined && (typeof m[k] !== 'string' || m[k] === ''))
      return bad(`"${k}" must be a non-empty string.`);
  return { ok: true, message: m as unknown as ClientMessage };
}

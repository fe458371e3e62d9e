import type { FlowEvent } from '../contracts/events.js';
import type { ExecutionRecord } from '../plugin/contracts/execution-store.js';

/** Events that are not facts of the run's state (high volume or about side channels): not written to the log. */
const NOT_LOGGED = new Set<string>([
  'node.log',
  'node.health-checked',
  'artifact.collected',
  'artifact.delivered',
  'node.rolled-back',
]);

/** Whether events of `type` are written to a durable run's log. */
export function isLogged(type: string): boolean {
  return !NOT_LOGGED.has(type);
}

/** The record of an event (`host`: the run's outputs and redaction, as the journal sees them): its facts without the fields every record of the run shares (id, workflow). */
export function logRecord(
  e: FlowEvent,
  seq: number,
  at: number,
  host: { outputOf(nodeId: string): unknown; redact(value: unknown): unknown },
): ExecutionRecord {
  switch (e.type) {
    case 'node.started':
      return { type: e.type, seq, at, nodeId: e.nodeId, attempt: e.attempt };
    case 'node.completed': {
      const output = host.redact(host.outputOf(e.nodeId));
      if (e.fallbackUsed === undefined && e.handledBy === undefined)
        return { type: e.type, seq, at, nodeId: e.nodeId, attempt: e.attempt, durationMs: e.durationMs, output };
      return {
        type: e.type,
        seq,
        at,
        nodeId: e.nodeId,
        attempt: e.attempt,
        durationMs: e.durationMs,
        output,
        ...(e.fallbackUsed === undefined ? {} : { fallbackUsed: e.fallbackUsed }),
        ...(e.handledBy === undefined ? {} : { handledBy: e.handledBy }),
      };
    }
    case 'node.skipped':
      return { type: e.type, seq, at, nodeId: e.nodeId, reason: e.reason };
    default: {
      // Rarer facts (failures, retries, fallbacks, custom events, the end of the run): every field but the shared ones.
      const r: Record<string, unknown> = { type: e.type, seq, at };
      for (const k of Object.keys(e))
        if (k !== 'type' && k !== 'executionId' && k !== 'workflow' && k !== 'timestamp' && k !== 'parentExecutionId')
          r[k] = (e as unknown as Record<string, unknown>)[k];
      return r as unknown as ExecutionRecord;
    }
  }
}

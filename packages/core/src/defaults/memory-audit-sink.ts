import type { AuditRecord, AuditSink } from '../plugin/types.js';

/** An in-memory audit sink; `records` holds what was written (bounded, oldest dropped first). */
export interface MemoryAuditSink extends AuditSink {
  readonly records: readonly AuditRecord[];
}

/**
 * The default audit sink: keeps the last `max` records in memory (default 10 000).
 *
 * @example
 * ```ts
 * import { createEngine, createMemoryAuditSink } from '@flowlane/core';
 *
 * const audit = createMemoryAuditSink();
 * const engine = createEngine({ audit: [audit] });
 * // … later: audit.records
 * await engine.close();
 * ```
 */
export function createMemoryAuditSink(options: { max?: number } = {}): MemoryAuditSink {
  const max = options.max ?? 10_000;
  const records: AuditRecord[] = [];
  return {
    name: 'memory',
    records,
    write(record) {
      records.push(record);
      if (records.length > max) records.splice(0, records.length - max);
    },
  };
}

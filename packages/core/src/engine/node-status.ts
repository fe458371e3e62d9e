import type { NodeStatus } from '../contracts/events.js';

/** Node states of a run, one byte per node (`RunState`'s typed arrays). */
export const PENDING = 0;
/** Condition, group slot or scheduler admission pending. */
export const WAITING = 1;
export const RUNNING = 2;
export const SUCCESS = 3;
export const FAILED = 4;
export const SKIPPED = 5;
export const TIMEOUT = 6;
export const CANCELLED = 7;
/** The public status of each state (nodes that never finished are reported cancelled). */
export const STATUS_NAMES: readonly NodeStatus[] = [
  'cancelled',
  'cancelled',
  'cancelled',
  'success',
  'failed',
  'skipped',
  'timeout',
  'cancelled',
];

/** What a node's record says beyond its status, attempts and duration (kept only for nodes that have it). */
export interface NodeExtra {
  error?: unknown;
  fallbackUsed?: string;
  handledBy?: string;
  cacheHit?: boolean;
}

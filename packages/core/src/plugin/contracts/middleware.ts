import type { NodeDescription } from '../../contracts/descriptions.js';
import type { NodeLogger } from './observability.js';

/* Plugin contracts: middleware. */

/** What middleware sees of a node attempt. */
export interface MiddlewareContext {
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly node: NodeDescription;
  readonly input: unknown;
  readonly results: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal;
  readonly log: NodeLogger;
  /** Free-form per-attempt bag for middleware to share data. */
  readonly state: Record<string, unknown>;
  /**
   * Redact the run's resolved secrets from a value (deep copy; strings get `[REDACTED]`) before middleware logs,
   * stores or sends it anywhere.
   */
  redact<T>(value: T): T;
}

/**
 * Koa-style middleware around each node attempt: call `next()` to run the inner layers and the node, return its
 * value (or another one to replace the output); not calling `next()` short-circuits the node. Retries call the
 * middleware again (one call per attempt).
 */
export type Middleware = (ctx: MiddlewareContext, next: () => Promise<unknown>) => Promise<unknown>;

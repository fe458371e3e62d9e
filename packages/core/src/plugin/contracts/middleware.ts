import type { NodeDescription } from '../../contracts/descriptions.js';
import type { NodeLogger } from './observability.js';
import type { Actor } from './security.js';

/* Plugin contracts: middleware. */

/** What middleware sees of a node attempt. */
export interface MiddlewareContext {
  readonly executionId: string;
  readonly workflow: string;
  /** The workflow's version, when it has one (dispatch plugins send it so workers run the same code). */
  readonly version?: string | undefined;
  readonly nodeId: string;
  readonly attempt: number;
  readonly node: NodeDescription;
  /** The identity the run acts for. */
  readonly actor?: Actor | undefined;
  /** Publish a `custom` event for this node, like `ctx.emitEvent` (for events a remote worker sends back). */
  emitEvent?(name: string, payload?: unknown): void;
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

import { lastValueFrom } from 'rxjs';
import type { NodeDef } from '../builder/node-def.js';
import { composeMiddleware } from '../compile/compose-middleware.js';
import { type NodePlan, wrapsAttempt } from '../compile/node-plan.js';
import { toObservable } from '../compile/to-observable.js';
import type { NodeDescription } from '../contracts/descriptions.js';
import type { Actor, MiddlewareContext, NodeLogger } from '../plugin/types.js';
import type { EngineServices } from './engine-services.js';
import type { RunHost } from './run-host.js';
import type { RunNodeContext } from './run-node-context.js';

/**
 * The context the engine's middleware gets for one attempt of node `i`. One object per attempt; the node's logger,
 * the `state` bag and the bound `emitEvent` / `redact` functions are made on first use (a middleware that answers
 * the node itself, like a dispatch plugin, reads none of them).
 */
export class MiddlewareCall implements MiddlewareContext {
  readonly executionId: string;
  readonly workflow: string;
  readonly version: string | undefined;
  readonly nodeId: string;
  readonly attempt: number;
  readonly node: NodeDescription;
  readonly actor: Actor | undefined;
  readonly input: unknown;
  readonly results: Readonly<Record<string, unknown>>;
  readonly #h: RunHost;
  readonly #ctx: RunNodeContext;
  #state: Record<string, unknown> | undefined;
  #emit: ((name: string, payload?: unknown) => void) | undefined;
  #redact: (<T>(value: T) => T) | undefined;

  constructor(h: RunHost, i: number, ctx: RunNodeContext, attempt: number) {
    this.executionId = h.executionId;
    this.workflow = h.workflow;
    this.version = h.version;
    this.nodeId = h.g.ids[i]!;
    this.attempt = attempt;
    this.node = h.descriptions()[i]!;
    this.actor = h.actor;
    this.input = h.runInput();
    this.results = h.outputs;
    this.#h = h;
    this.#ctx = ctx;
  }

  get signal(): AbortSignal {
    return this.#ctx.signal;
  }
  get log(): NodeLogger {
    return this.#ctx.log;
  }
  get state(): Record<string, unknown> {
    return (this.#state ??= {});
  }
  get emitEvent(): (name: string, payload?: unknown) => void {
    const ctx = this.#ctx;
    return (this.#emit ??= (name, payload) => ctx.emitEvent(name, payload));
  }
  get redact(): <T>(value: T) => T {
    const h = this.#h;
    return (this.#redact ??= <T>(value: T): T => h.redact(value));
  }
}

/**
 * True when node `def`'s only operator would be the engine's middleware: no retry, timeout, cache, health check,
 * artifacts, node flow control or standby permission check (what `buildNodeChain` would wrap around the attempt).
 * Such a node runs through {@link callMiddleware} instead of an RxJS chain.
 */
export function middlewareOnly(rt: EngineServices, def: NodeDef, plan: NodePlan, standby: boolean): boolean {
  const o = def.options;
  return (
    rt.middleware.length > 0 &&
    def.kind !== 'subworkflow' &&
    !plan.retryOnly &&
    !(o.retry !== undefined && o.retry.maxAttempts > 1) &&
    !wrapsAttempt(o) &&
    !(plan.guarded && standby)
  );
}

/**
 * Runs one attempt of node `i` (see {@link middlewareOnly}) through the engine's middleware: the same calls, in the
 * same order, as its operator chain would make, settled through one `then` instead of a subscription. A late
 * settlement after the run ended is ignored by `ok` / `fail`, as a dropped subscription's would be.
 */
export function callMiddleware(h: RunHost, i: number, ok: (v: unknown) => void, fail: (e: unknown) => void): void {
  let out: Promise<unknown>;
  try {
    const attempt = ++h.attempts[i]!;
    const ctx = h.ctx(i, attempt);
    out = composeMiddleware(h.rt.middleware, new MiddlewareCall(h, i, ctx, attempt), () =>
      lastValueFrom(toObservable(h.invoke(i, ctx, undefined)), { defaultValue: undefined }),
    );
  } catch (e) {
    fail(e);
    return;
  }
  out.then(ok, fail);
}

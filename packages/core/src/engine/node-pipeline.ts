import { concatMap, defer, finalize, from, lastValueFrom, map, type Observable } from 'rxjs';
import type { NodeDef } from '../builder/node-def.js';
import type { CacheOptions, HealthCheckOptions, NodeOptions, RetryPolicy } from '../builder/types.js';
import { composeMiddleware } from '../compile/compose-middleware.js';
import type { NodePlan } from '../compile/node-plan.js';
import { toObservable } from '../compile/to-observable.js';
import { withCache } from '../compile/with-cache.js';
import { withRetry } from '../compile/with-retry.js';
import { withTimeout } from '../compile/with-timeout.js';
import { FlowlaneError } from '../errors.js';
import type { MiddlewareContext } from '../plugin/types.js';
import type { EngineServices } from './engine-services.js';
import { type CacheLookup, cacheHit, nodeCacheKey } from './fast-cache.js';
import { attemptStarted, nodeRetrying } from './fast-retry.js';
import { runHealthCheck } from './health-check.js';
import { MiddlewareCall } from './middleware-call.js';
import type { RunHost } from './run-host.js';
import type { RunNodeContext } from './run-node-context.js';

/**
 * The operator chain of node `i` — only for nodes whose options need one (plain nodes run straight from the
 * ready-queue). Built once per (engine, workflow) by {@link buildNodeChain}: which operators a node has, in which
 * order, with their option values, is decided there; a run calls the chain with its own values (the run's view `h`,
 * the node's index, the error a boundary handles, the run's cache lookup), which nothing built here closes over.
 */
export type NodeChain = (h: RunHost, i: number, error: unknown, lookup?: CacheLookup) => Observable<unknown>;

/** One operator of a chain: wraps the stream of everything inside it, for one run. */
type Stage = (
  inner$: Observable<unknown>,
  h: RunHost,
  i: number,
  lookup: CacheLookup | undefined,
) => Observable<unknown>;

/** The chain of a node with no option: one call per subscription. */
const plainChain: NodeChain = (h, i, error) =>
  defer(() => {
    const attempt = ++h.attempts[i]!;
    return toObservable(h.invoke(i, h.ctx(i, attempt), error));
  });

/**
 * Builds node `def`'s chain on engine `rt`. Read inside out: each attempt (`node.started` for attempts after the
 * first, middleware, timeout, node flow control) → retry → health check → artifacts in/out → cache → permission check
 * for fallbacks and boundaries (`standby`).
 */
export function buildNodeChain(rt: EngineServices, def: NodeDef, plan: NodePlan, standby: boolean): NodeChain {
  if (plan.fast) return plainChain;
  const o: NodeOptions = def.options;
  const attempts = attemptsOf(rt, def);
  const stages: Stage[] = [];
  if (o.retry !== undefined && o.retry.maxAttempts > 1) stages.push(retryStage(rt, def.id, o.retry));
  if (o.healthCheck !== undefined) stages.push(healthStage(o.healthCheck));
  if (o.artifacts !== undefined) stages.push(artifactsStage);
  if (o.cache !== undefined) stages.push(cacheStage(rt, def.id, o.cache, o.timeout ?? 30_000));
  // Nodes of the graph are checked by the run before their condition; fallbacks and boundaries (standby) here.
  if (plan.guarded && standby) stages.push(permissionStage);
  return (h, i, error, lookup) => {
    let out$ = attempts(h, i, error);
    for (let k = 0; k < stages.length; k++) out$ = stages[k]!(out$, h, i, lookup);
    return out$;
  };
}

/** The attempts of node `def`: each subscription is one attempt (retries resubscribe). */
function attemptsOf(rt: EngineServices, def: NodeDef): (h: RunHost, i: number, error: unknown) => Observable<unknown> {
  const o = def.options;
  const nodeId = def.id;
  const ms = o.timeout;
  const gated = o.concurrency !== undefined || o.rateLimit !== undefined;
  const call = rt.middleware.length > 0 ? callThroughMiddleware(rt) : callDirect;
  return (h, i, error) => {
    // 1, or in a resumed run the attempt after the last one logged (its node.started is emitted by the run).
    const first = h.attempts[i]! + 1;
    return defer(() => {
      const attempt = ++h.attempts[i]!;
      if (attempt > first) h.emit(attemptStarted(h.executionId, h.workflow, rt.clock.now(), nodeId, attempt));
      const ctrl = ms === undefined ? undefined : new AbortController();
      let inner$ = call(h, i, h.ctx(i, attempt, ctrl), attempt, error);
      if (ms !== undefined)
        inner$ = inner$.pipe(withTimeout(ms, rt.clock, () => timedOut(h, nodeId, attempt, ms, ctrl!)));
      if (gated) inner$ = gate(rt, h, o, nodeId, attempt, inner$);
      return inner$;
    });
  };
}

type Call = (h: RunHost, i: number, ctx: RunNodeContext, attempt: number, error: unknown) => Observable<unknown>;

const callDirect: Call = (h, i, ctx, _attempt, error) => defer(() => toObservable(h.invoke(i, ctx, error)));

/** The node's call wrapped in the engine's middleware (outermost first). */
function callThroughMiddleware(rt: EngineServices): Call {
  return (h, i, ctx, attempt, error) => {
    const mctx: MiddlewareContext = new MiddlewareCall(h, i, ctx, attempt);
    return defer(() =>
      composeMiddleware(rt.middleware, mctx, () =>
        lastValueFrom(toObservable(h.invoke(i, ctx, error)), { defaultValue: undefined }),
      ),
    );
  };
}

/** The attempt ran out of time: its signal aborts, `node.timed-out` is emitted, the attempt fails with `FL_TIMEOUT`. */
function timedOut(h: RunHost, nodeId: string, attempt: number, ms: number, ctrl: AbortController): FlowlaneError {
  const err = new FlowlaneError('FL_TIMEOUT', { nodeId, ms });
  ctrl.abort(err);
  h.emit({
    type: 'node.timed-out',
    executionId: h.executionId,
    workflow: h.workflow,
    timestamp: h.rt.clock.now(),
    nodeId,
    attempt,
    timeoutMs: ms,
  });
  return err;
}

/** Node-level flow control across runs: waiting for a slot or the rate window is not part of the timeout. */
function gate(
  rt: EngineServices,
  h: RunHost,
  o: NodeOptions,
  nodeId: string,
  attempt: number,
  gated$: Observable<unknown>,
): Observable<unknown> {
  return defer(() =>
    rt.flow.enterNode({
      nodeId,
      ctx: { input: h.runInput(), executionId: h.executionId, workflow: h.workflow },
      concurrency: o.concurrency,
      rateLimit: o.rateLimit,
      holder: `${h.executionId}/${nodeId}#${attempt}`,
      signal: h.runSignal(),
    }),
  ).pipe(concatMap((release) => gated$.pipe(finalize(release))));
}

function retryStage(rt: EngineServices, nodeId: string, policy: RetryPolicy): Stage {
  const onRetry = policy.onRetry;
  return (inner$, h, i) => {
    // A resumed run: the failures its log holds count against the budget (an attempt cut short by the crash does not).
    const prior = h.priorFailures(i);
    if (policy.maxAttempts - prior <= 1) return inner$;
    return inner$.pipe(
      withRetry(
        policy,
        rt.clock,
        {
          // The attempt that failed is the current one (the retry number differs after a crashed attempt).
          decide: onRetry === undefined ? undefined : (err) => onRetry(err, h.attempts[i]!, h.ctx(i, h.attempts[i]!)),
          onRetrying: (err, _n, delayMs) =>
            h.emit(
              // The attempt is retried: its stack is not worth formatting (the final failure keeps one).
              nodeRetrying(
                h.executionId,
                h.workflow,
                rt.clock.now(),
                nodeId,
                h.attempts[i]!,
                delayMs,
                h.serialize(err, false),
              ),
            ),
        },
        prior,
      ),
    );
  };
}

function healthStage(health: HealthCheckOptions): Stage {
  return (inner$, h, i) => inner$.pipe(concatMap((v) => from(runHealthCheck(h, i, health)).pipe(map(() => v))));
}

const artifactsStage: Stage = (body$, h, i) =>
  defer(() => from(h.artifacts().deliver(h, i))).pipe(
    concatMap(() => body$),
    concatMap((v) => from(h.artifacts().collect(h, i)).pipe(map(() => v))),
  );

function cacheStage(rt: EngineServices, nodeId: string, cache: CacheOptions, waitMs: number): Stage {
  return (source$, h, i, lookup) => {
    let looked = lookup;
    return defer(() => {
      // The run's own lookup (it made it to settle a synchronous hit without this chain), else the key here.
      const pre = looked;
      looked = undefined;
      const key =
        pre?.key ??
        nodeCacheKey(
          h.workflow,
          h.version,
          nodeId,
          cache.keyFn ? cache.keyFn(h.ctx(i, 1) as never) : h.defaultCacheKey(i),
        );
      return withCache(
        cache.store ?? rt.cacheStore,
        key,
        cache.ttl,
        rt.inflight,
        {
          onHit: (shared) => {
            h.markCacheHit(i);
            h.emit(cacheHit(h.executionId, h.workflow, rt.clock.now(), nodeId, shared));
          },
          onStoreError: (e) =>
            rt.logger.warn('cache store failed to save a value', { nodeId, error: h.serialize(e).message }),
          gone: () => h.isDone(),
          origin: h.origin,
          adopt: (leader) => h.adoptSecrets(leader),
        },
        waitMs,
        pre?.store,
      )(source$);
    });
  };
}

const permissionStage: Stage = (checked$, h, i) =>
  defer(() => {
    const denied = h.denial(i);
    if (denied !== undefined) throw denied;
    return checked$;
  });

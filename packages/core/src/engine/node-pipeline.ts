import { concatMap, defer, finalize, from, lastValueFrom, map, type Observable } from 'rxjs';
import type { NodeOptions } from '../builder/types.js';
import { composeMiddleware } from '../compile/compose-middleware.js';
import { toObservable } from '../compile/to-observable.js';
import { withCache } from '../compile/with-cache.js';
import { withRetry } from '../compile/with-retry.js';
import { withTimeout } from '../compile/with-timeout.js';
import { FlowlaneError } from '../errors.js';
import type { MiddlewareContext } from '../plugin/types.js';
import { type CacheLookup, cacheHit, nodeCacheKey } from './fast-cache.js';
import { attemptStarted, nodeRetrying } from './fast-retry.js';
import { runHealthCheck } from './health-check.js';
import type { RunHost } from './run-host.js';

/**
 * The operator pipeline of node `i` — only for nodes whose options need one (plain nodes run straight from the
 * ready-queue). Read inside out: each attempt (`node.started` for attempts after the first, middleware, timeout) →
 * retry → health check → artifacts in/out → cache → permission check for fallbacks and boundaries. `error` is the
 * error an error boundary handles (undefined for other nodes).
 */
export function nodePipeline(h: RunHost, i: number, error: unknown, lookup?: CacheLookup): Observable<unknown> {
  const rt = h.rt;
  const def = h.g.defs[i]!;
  const o: NodeOptions = def.options;
  const nodeId = def.id;
  const plan = h.plan(i);
  if (plan.fast)
    return defer(() => {
      const attempt = ++h.attempts[i]!;
      return toObservable(h.invoke(i, h.ctx(i, attempt), error));
    });

  // 1, or in a resumed run the attempt after the last one logged (its node.started is emitted by the run).
  const first = h.attempts[i]! + 1;
  const attempt$ = defer(() => {
    const attempt = ++h.attempts[i]!;
    if (attempt > first) h.emit(attemptStarted(h.executionId, h.workflow, rt.clock.now(), nodeId, attempt));
    const ctrl = o.timeout === undefined ? undefined : new AbortController();
    const ctx = h.ctx(i, attempt, ctrl);
    let inner$: Observable<unknown>;
    if (rt.middleware.length > 0) {
      const mctx: MiddlewareContext = {
        executionId: h.executionId,
        workflow: h.workflow,
        version: h.version,
        nodeId,
        attempt,
        node: h.descriptions()[i]!,
        actor: h.actor,
        emitEvent: (name, payload) => ctx.emitEvent(name, payload),
        input: h.input(),
        results: h.outputs,
        get signal() {
          return ctx.signal;
        },
        log: ctx.log,
        state: {},
        redact: <T>(value: T): T => h.redact(value),
      };
      inner$ = defer(() =>
        composeMiddleware(rt.middleware, mctx, () =>
          lastValueFrom(toObservable(h.invoke(i, ctx, error)), { defaultValue: undefined }),
        ),
      );
    } else inner$ = defer(() => toObservable(h.invoke(i, ctx, error)));
    if (o.timeout !== undefined) {
      const ms = o.timeout;
      inner$ = inner$.pipe(
        withTimeout(ms, rt.clock, () => {
          const err = new FlowlaneError('FL_TIMEOUT', { nodeId, ms });
          ctrl!.abort(err);
          h.emit({
            type: 'node.timed-out',
            executionId: h.executionId,
            workflow: h.workflow,
            timestamp: rt.clock.now(),
            nodeId,
            attempt,
            timeoutMs: ms,
          });
          return err;
        }),
      );
    }
    if (o.concurrency !== undefined || o.rateLimit !== undefined) {
      // Node-level flow control across runs: waiting for a slot or the rate window is not part of the timeout.
      const gated$ = inner$;
      inner$ = defer(() =>
        rt.flow.enterNode({
          nodeId,
          ctx: { input: h.input(), executionId: h.executionId, workflow: h.workflow },
          concurrency: o.concurrency,
          rateLimit: o.rateLimit,
          holder: `${h.executionId}/${nodeId}#${attempt}`,
          signal: h.runSignal(),
        }),
      ).pipe(concatMap((release) => gated$.pipe(finalize(release))));
    }
    return inner$;
  });

  let out$ = attempt$;
  const policy = o.retry;
  // A resumed run: the failures its log holds count against the budget (an attempt cut short by the crash does not).
  const prior = policy === undefined ? 0 : h.priorFailures(i);
  if (policy !== undefined && policy.maxAttempts - prior > 1) {
    out$ = out$.pipe(
      withRetry(
        policy,
        rt.clock,
        {
          // The attempt that failed is the current one (the retry number differs after a crashed attempt).
          decide:
            policy.onRetry === undefined
              ? undefined
              : (err) => policy.onRetry!(err, h.attempts[i]!, h.ctx(i, h.attempts[i]!)),
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
  }
  const health = o.healthCheck;
  if (health !== undefined) out$ = out$.pipe(concatMap((v) => from(runHealthCheck(h, i, health)).pipe(map(() => v))));
  if (o.artifacts !== undefined) {
    const body$ = out$;
    out$ = defer(() => from(h.artifacts().deliver(h, i))).pipe(
      concatMap(() => body$),
      concatMap((v) => from(h.artifacts().collect(h, i)).pipe(map(() => v))),
    );
  }

  const cache = o.cache;
  if (cache !== undefined) {
    const source = out$;
    let looked = lookup;
    out$ = defer(() => {
      // The run's own lookup (it made it to settle a synchronous hit without this pipeline), else the key here.
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
        o.timeout ?? 30_000,
        pre?.store,
      )(source);
    });
  }

  // Nodes of the graph are checked by the run before their condition; fallbacks and boundaries (standby) here.
  if (!plan.guarded || h.g.standby[i] !== 1) return out$;
  const checked$ = out$;
  return defer(() => {
    const denied = h.denial(i);
    if (denied !== undefined) throw denied;
    return checked$;
  });
}

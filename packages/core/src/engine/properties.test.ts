import { channel } from 'node:diagnostics_channel';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeOptions } from '../builder/types.js';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { createMemoryAuditSink } from '../defaults/memory-audit-sink.js';
import type { Logger } from '../plugin/types.js';
import { REDACTED } from '../runtime/redactor.js';
import { createEngine } from './engine.js';

/** One generated node: how it behaves and which options it uses. */
interface GenNode {
  readonly parents: readonly number[];
  /** Attempts that throw before one succeeds (≥ maxAttempts: the node fails for good). */
  readonly failures: number;
  readonly maxAttempts: number;
  readonly async: boolean;
  readonly onError: 'fail' | 'continue';
  /** A fallback node that succeeds (true) or fails (false), or none. */
  readonly fallback: boolean | undefined;
  /** A cache key out of a small set (shared across nodes and runs), or none. */
  readonly cacheKey: number | undefined;
}

const genNode = (index: number): fc.Arbitrary<GenNode> =>
  fc.record({
    parents:
      index === 0
        ? fc.constant([])
        : fc.uniqueArray(fc.integer({ min: 0, max: index - 1 }), { maxLength: Math.min(3, index) }),
    failures: fc.integer({ min: 0, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    async: fc.boolean(),
    onError: fc.constantFrom('fail' as const, 'continue' as const),
    fallback: fc.option(fc.boolean(), { nil: undefined }),
    cacheKey: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  });

const genDag = fc
  .integer({ min: 1, max: 10 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => genNode(i))) as fc.Arbitrary<GenNode[]>);

const genScenario = fc.record({
  dag: genDag,
  runs: fc.integer({ min: 1, max: 4 }),
  /** Per run: cancel after this many event-loop turns, or never. */
  cancelAfter: fc.array(fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), { minLength: 4, maxLength: 4 }),
  concurrency: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  maxConcurrentRuns: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
  // A marker prefix: an unmarked random string can occur in the run's own text (seed -1339534266 drew "property",
  // which is in the cancel reason 'property cancel') and fail the check without any leak.
  secret: fc
    .string({ minLength: 8, maxLength: 24 })
    .filter((s) => s.trim().length >= 8 && !REDACTED.includes(s) && !/[\\"]/.test(s))
    .map((s) => `sekret·${s}`),
  closeEarly: fc.boolean(),
});

/** Resolves to `p`'s value, or rejects when it does not settle within `ms` of real time. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]);
}

describe('engine properties over random DAGs', () => {
  it('at most one invocation per attempt, parents settle before dependents, caps hold, runs and close() settle, secrets stay out', async () => {
    await fc.assert(
      fc.asyncProperty(genScenario, async (s) => {
        const out: unknown[] = [];
        const logger: Logger = {
          debug: (m, f) => void out.push(m, f),
          info: (m, f) => void out.push(m, f),
          warn: (m, f) => void out.push(m, f),
          error: (m, f) => void out.push(m, f),
        };
        const audit = createMemoryAuditSink();
        const engine = createEngine({
          logger,
          audit: [audit],
          secrets: [{ name: 'gen', get: (name) => (name === 'token' ? s.secret : undefined) }],
          ...(s.concurrency === undefined ? {} : { concurrency: s.concurrency }),
          ...(s.maxConcurrentRuns === undefined ? {} : { maxConcurrentRuns: s.maxConcurrentRuns }),
        });
        const engineEvents: FlowEvent[] = [];
        const sub = engine.events$.subscribe((e) => engineEvents.push(e));
        const diag: unknown[] = [];
        const onDiag = (m: unknown): void => void diag.push(m);
        const channels = ['node.log', 'node.failed', 'node.retrying', 'workflow.failed', 'custom'].map((t) =>
          channel(`flowlane.${t}`),
        );
        for (const ch of channels) ch.subscribe(onDiag);

        // Invocations per (execution, node, attempt), node functions in flight, runs in flight.
        const invocations = new Map<string, number>();
        let inFlight = 0;
        let maxInFlight = 0;

        const body =
          (id: string, g: GenNode, kind: 'main' | 'fallback', succeeds = true) =>
          async (ctx: {
            executionId: string;
            attempt: number;
            signal: AbortSignal;
            getSecret(n: string): Promise<string>;
            log: { info(m: string, f?: Record<string, unknown>): void };
            emitEvent(n: string, p: unknown): void;
          }) => {
            const key = `${ctx.executionId}|${id}|${ctx.attempt}`;
            invocations.set(key, (invocations.get(key) ?? 0) + 1);
            // In flight = running and not cancelled: a cancelled run hands its slots back at once (JavaScript cannot
            // stop a function; the engine aborts ctx.signal and stops waiting for it), so the cap counts the rest.
            let counted = !ctx.signal.aborted;
            const uncount = (): void => {
              if (counted) inFlight--;
              counted = false;
            };
            if (counted) {
              inFlight++;
              maxInFlight = Math.max(maxInFlight, inFlight);
              ctx.signal.addEventListener('abort', uncount, { once: true });
            }
            try {
              const token = await ctx.getSecret('token');
              ctx.log.info(`${id} uses ${token}`, { token, nested: [{ token }] });
              ctx.emitEvent(`used-${id}`, { token });
              if (g.async || kind === 'fallback') await tick();
              const fails = kind === 'fallback' ? !succeeds : ctx.attempt <= g.failures;
              if (fails) throw new Error(`${id} failed with ${token} on attempt ${ctx.attempt}`);
              return `${id}:${ctx.attempt}`;
            } finally {
              ctx.signal.removeEventListener('abort', uncount);
              uncount();
            }
          };

        let b = workflow('prop') as unknown as {
          addNode(id: string, fn: unknown, options?: NodeOptions<string>): typeof b;
          build(): Parameters<typeof engine.run>[0];
        };
        s.dag.forEach((g, i) => {
          const id = `n${i}`;
          const options: Record<string, unknown> = { dependsOn: g.parents.map((p) => `n${p}`) };
          if (g.maxAttempts > 1) options.retry = { maxAttempts: g.maxAttempts, initialInterval: 0 };
          if (g.onError === 'continue') options.onError = 'continue';
          if (g.fallback !== undefined) options.fallback = `fb${i}`;
          if (g.cacheKey !== undefined) options.cache = { ttl: 60_000, keyFn: () => `key${g.cacheKey}` };
          b = b.addNode(id, body(id, g, 'main'), options as NodeOptions<string>);
          if (g.fallback !== undefined) b = b.addNode(`fb${i}`, body(`fb${i}`, g, 'fallback', g.fallback));
        });
        const wf = b.build();

        const runs = Array.from({ length: s.runs }, () => engine.run(wf, {}));
        const cancels = runs.map(async (run, k) => {
          const after = s.cancelAfter[k];
          if (after === undefined) return;
          for (let t = 0; t < after; t++) await tick();
          run.cancel('property cancel');
        });
        if (s.closeEarly) await tick();
        const closing = s.closeEarly ? engine.close() : undefined;
        const results = await within(Promise.all(runs.map((r) => r.result)), 3_000, 'a run');
        await Promise.all(cancels);
        const runEvents = await Promise.all(
          runs.map(
            (r) =>
              new Promise<FlowEvent[]>((resolve) => {
                const list: FlowEvent[] = [];
                r.events$.subscribe({ next: (e) => list.push(e), complete: () => resolve(list) });
              }),
          ),
        );
        await within(closing ?? engine.close(), 3_000, 'close()');
        sub.unsubscribe();
        for (const ch of channels) ch.unsubscribe(onDiag);

        // 1. At most one invocation per attempt, and never more attempts than the policy allows.
        for (const [key, count] of invocations) {
          expect(count, key).toBe(1);
          const [, id, attempt] = key.split('|') as [string, string, string];
          const g = id.startsWith('fb') ? undefined : s.dag[Number(id.slice(1))]!;
          expect(Number(attempt)).toBeLessThanOrEqual(g?.maxAttempts ?? 1);
        }
        // 2. A node starts only after each of its parents settled (completed, failed or skipped).
        for (const events of runEvents) {
          const settled = new Set<string>();
          for (const e of events) {
            if (e.type === 'node.completed' || e.type === 'node.failed' || e.type === 'node.skipped')
              settled.add(e.nodeId);
            if (e.type === 'node.started' && e.attempt === 1 && /^n\d+$/.test(e.nodeId)) {
              const g = s.dag[Number(e.nodeId.slice(1))]!;
              for (const p of g.parents) expect(settled.has(`n${p}`), `${e.nodeId} before n${p}`).toBe(true);
            }
          }
        }
        // 3. Caps: node functions in flight and runs in flight.
        if (s.concurrency !== undefined) expect(maxInFlight).toBeLessThanOrEqual(s.concurrency);
        if (s.maxConcurrentRuns !== undefined) {
          let active = 0;
          let maxActive = 0;
          for (const e of engineEvents) {
            if (e.type === 'workflow.started') maxActive = Math.max(maxActive, ++active);
            if (e.type === 'workflow.completed' || e.type === 'workflow.failed' || e.type === 'workflow.cancelled')
              active--;
          }
          expect(maxActive).toBeLessThanOrEqual(s.maxConcurrentRuns);
        }
        // 4. Every run settled with a status; cancelled runs say so.
        for (const r of results) expect(['success', 'failed', 'cancelled']).toContain(r.status);
        // 5. The secret is in no emitted channel.
        const emitted = JSON.stringify([
          runEvents,
          engineEvents,
          diag,
          out,
          audit.records,
          results.map((r) => [r.nodes, r.error?.message, r.error?.stack, (r.error?.cause as Error | undefined)?.stack]),
        ]);
        expect(emitted.includes(s.secret)).toBe(false);
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});

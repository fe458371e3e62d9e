import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine, type EnqueuedRun } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { redisStore } from '@flowlane/store-redis';
import { type RedisService, startRedis } from '@flowlane/testing';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inMemory, quiet, useContextManager } from './otel.test-helper.js';
import { otelTracing } from './otel-tracing.js';
import { resumeWorkflow } from './resume-workflow.test-helper.js';

useContextManager();

const child = fileURLToPath(new URL('./resume-child.test-helper.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

let redis: RedisService;
const engines: Engine[] = [];
const procs: ChildProcess[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const e of engines.splice(0)) await e.close();
});
afterAll(() => redis.dispose());

/**
 * Starts the run in a child process and kills it with SIGKILL while `hold` runs; resolves with the ids of the run span
 * the child opened (never exported: the child dies with it open).
 */
async function startAndKill(
  executionId: string,
  leaseMs: number,
  serve?: (serving: Promise<void>) => Promise<unknown>,
): Promise<{ traceId: string; spanId: string }> {
  const args = [child, redis.url, executionId, String(leaseMs), ...(serve === undefined ? [] : ['serve'])];
  const proc = spawn(process.execPath, ['--import', tsx, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  procs.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  let span: { traceId: string; spanId: string } | undefined;
  let serving!: () => void;
  const served = new Promise<void>((resolve) => {
    serving = resolve;
  });
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const [word, traceId, spanId] = line.split(' ');
      if (word === 'SPAN') span = { traceId: traceId!, spanId: spanId! };
      else if (word === 'SERVING') serving();
      else if (word === 'READY') resolve();
    });
    void exited.then(() => reject(new Error(`child exited before READY:\n${stderr}`)));
  });
  await Promise.all([ready, serve?.(served)]);
  proc.kill('SIGKILL');
  await exited;
  expect(span).toBeDefined();
  return span!;
}

function resumedSpan(spans: readonly ReadableSpan[], executionId: string): ReadableSpan {
  const found = spans.find(
    (s) => s.name === 'workflow resumable' && s.attributes['flowlane.execution_id'] === executionId,
  );
  if (found === undefined) throw new Error(`no run span for ${executionId}`);
  return found;
}

describe('a run resumed after its process was killed (kill -9)', () => {
  it('engine.resume: the resumed run span links to the run span of the killed process (its trace id and span id, kept in the log)', async () => {
    const original = await startAndKill('resume-1', 60_000);
    const { exporter, tracerProvider } = inMemory();
    const engine = createEngine({
      plugins: [redisStore({ url: redis.url, prefix: 'resume:' }), otelTracing({ tracerProvider })],
      workflows: [resumeWorkflow],
      logger: quiet,
    });
    engines.push(engine);
    const result = await (await engine.resume('resume-1')).result;
    expect(result.status).toBe('success');
    expect(result.outputs).toEqual({ first: 1, hold: 2 });
    const span = resumedSpan(exporter.getFinishedSpans(), 'resume-1');
    expect(span.attributes['flowlane.resumed']).toBe(true);
    expect(span.links.map((l) => ({ ...l.context, attributes: l.attributes }))).toEqual([
      expect.objectContaining({
        traceId: original.traceId,
        spanId: original.spanId,
        attributes: { 'flowlane.link': 'resumed_from' },
      }),
    ]);
    // A link, not a parent: the original span never ended (its process died) and does not enclose the resumed run.
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(original.traceId);
    // The resumed run's own context is not recorded again: the log keeps where the run began.
    const first = (await engine.runs.records('resume-1'))?.[0];
    expect(first?.type === 'workflow.started' ? first.carrier?.traceparent : undefined).toBe(
      `00-${original.traceId}-${original.spanId}-01`,
    );
  }, 60_000);

  it("resume: 'auto': the engine that takes the run over once the lease expired links its run span the same way", async () => {
    const original = await startAndKill('resume-2', 300);
    const { exporter, tracerProvider } = inMemory();
    const engine = createEngine({
      plugins: [redisStore({ url: redis.url, prefix: 'resume:' }), otelTracing({ tracerProvider })],
      workflows: [resumeWorkflow],
      resume: 'auto',
      leaseMs: 300,
      logger: quiet,
    });
    engines.push(engine);
    const deadline = Date.now() + 20_000;
    while ((await engine.runs.get('resume-2'))?.status !== 'success') {
      if (Date.now() > deadline) throw new Error('resume-2 was not taken over and finished within 20 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // The span ends when the run settles; the log's status can be read a moment before.
    const until = Date.now() + 5_000;
    while (!exporter.getFinishedSpans().some((s) => s.attributes['flowlane.execution_id'] === 'resume-2')) {
      if (Date.now() > until) throw new Error('no run span for resume-2');
      await new Promise((r) => setTimeout(r, 20));
    }
    const span = resumedSpan(exporter.getFinishedSpans(), 'resume-2');
    expect(span.links).toHaveLength(1);
    expect(span.links[0]!.context).toMatchObject({ traceId: original.traceId, spanId: original.spanId });
  }, 60_000);

  it('a @flowlane/queue-bullmq coordinator killed mid-run: the coordinator that takes the run job over links its run span the same way', async () => {
    const client = createEngine({
      plugins: [bullmqDispatch({ connection: redis.url, queuePrefix: 'resume' })],
      logger: quiet,
    });
    engines.push(client);
    let queued: EnqueuedRun<object> | undefined;
    const original = await startAndKill('resume-3', 60_000, async (serving) => {
      await serving;
      queued = await client.enqueue(resumeWorkflow, {}, { executionId: 'resume-3' });
    });
    const { exporter, tracerProvider } = inMemory();
    const coordinator = createEngine({
      plugins: [
        redisStore({ url: redis.url, prefix: 'resume:' }),
        otelTracing({ tracerProvider }),
        // The killed coordinator's run job stalls once its lock expires; this one takes it and resumes the run.
        bullmqDispatch({
          connection: redis.url,
          queuePrefix: 'resume',
          serve: { lockDuration: 1000, stalledInterval: 300 },
        }),
      ],
      workflows: [resumeWorkflow],
      logger: quiet,
    });
    engines.push(coordinator);
    await coordinator.ready();
    const result = await queued!.result();
    expect(result.status).toBe('success');
    expect(result.outputs).toEqual({ first: 1, hold: 2 });
    const span = resumedSpan(exporter.getFinishedSpans(), 'resume-3');
    expect(span.attributes['flowlane.resumed']).toBe(true);
    expect(span.links).toHaveLength(1);
    expect(span.links[0]!.context).toMatchObject({ traceId: original.traceId, spanId: original.spanId });
    expect(span.links[0]!.attributes).toEqual({ 'flowlane.link': 'resumed_from' });
  }, 60_000);
});

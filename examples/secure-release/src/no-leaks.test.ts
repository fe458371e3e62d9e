import { subscribe as dcSubscribe, unsubscribe as dcUnsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFile, verifyAuditLog } from '@flowlane/audit-file';
import { createEngine, FLOW_EVENT_TYPES, type FlowEvent, type Logger, workflow } from '@flowlane/core';
import { prometheus } from '@flowlane/metrics-prometheus';
import { openSecretsFile, secretsFile } from '@flowlane/secrets-file';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * Property: random secret values, resolved from the encrypted secrets file and embedded by nodes in outputs, log
 * lines and fields, thrown errors, custom event payloads and audit details, never reach any sink — the event stream,
 * the diagnostics channel, the engine logger, a metrics exporter turning every event field into a label, the
 * Prometheus exposition, the hash-chained audit file, or the run's node records and error.
 */
const alphabet = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/+=!@#$%^&*"\\\' '];
const secret = fc
  .string({ unit: fc.constantFrom(...alphabet), minLength: 10, maxLength: 40 })
  .filter((s) => s.trim().length >= 10);

const leaky = workflow('leaky')
  .addNode('out', async (ctx) => {
    const s = await ctx.getSecret('s1');
    return { token: s, nested: [`x${s}y`, { deeper: s }] };
  })
  .addNode('log', async (ctx) => {
    const s = await ctx.getSecret('s2');
    ctx.log.info(`using ${s}`, { field: s });
    ctx.log.error('bad', { deep: { list: [s] } });
  })
  .addNode('evt', async (ctx) => {
    const s = await ctx.getSecret('s1');
    ctx.emitEvent('leak', { payload: s, list: [`<${s}>`] });
  })
  .addNode('aud', async (ctx) => {
    const s = await ctx.getSecret('s3');
    await ctx.audit({ action: 'use', resource: `res-${s}`, outcome: 'success', details: { value: s, nested: { s } } });
  })
  .addNode(
    'err',
    async (ctx) => {
      const s = await ctx.getSecret('s3');
      throw new Error(`failed with ${s}`);
    },
    { dependsOn: ['out', 'log', 'evt', 'aud'], onError: 'continue' },
  )
  .addNode(
    'fails',
    async (ctx) => {
      const s = await ctx.getSecret('s2');
      throw Object.assign(new Error(`fatal: ${s}`), { detail: s });
    },
    { dependsOn: ['err'] },
  )
  .build();

describe('no secret reaches any sink', () => {
  it('holds for random secrets across events, diagnostics, logs, metric labels, Prometheus, audit file and records', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlane-no-leaks-'));
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(secret, secret, secret, async (s1, s2, s3) => {
          runs++;
          const base = join(dir, String(runs));
          const key = Buffer.alloc(32, runs).toString('base64');
          const file = await openSecretsFile(`${base}.enc`, { key, create: true });
          await file.set('s1', s1);
          await file.set('s2', s2);
          await file.set('s3', s3);

          const sinks: string[] = [];
          const record = (where: string, v: unknown) => sinks.push(`${where} ${JSON.stringify(v)}`);
          const logger: Logger = {
            debug: (m, f) => record('log', [m, f]),
            info: (m, f) => record('log', [m, f]),
            warn: (m, f) => record('log', [m, f]),
            error: (m, f) => record('log', [m, f]),
          };
          const labels = (e: FlowEvent) =>
            Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
          const prom = prometheus();
          const diag = (message: unknown) => record('diagnostics', message);
          for (const t of FLOW_EVENT_TYPES) dcSubscribe(`flowlane.${t}`, diag);
          const engine = createEngine({
            logger,
            plugins: [
              secretsFile({ path: `${base}.enc`, key }),
              auditFile({ path: `${base}.audit.jsonl`, fsync: 'interval' }),
              prom,
            ],
            audit: [],
          });
          try {
            const run = engine.run(leaky, undefined, { actor: { id: 'a' } });
            run.events$.subscribe((e) => {
              record('event', e);
              record('metric-labels', labels(e));
            });
            const result = await run.result;
            expect(result.status).toBe('failed');
            expect(result.outputs.out?.token).toBe(s1); // the caller gets the real value…
            record('records', result.nodes);
            record('error', { message: result.error?.message, details: result.error?.details });
            record('prometheus', await prom.metrics());
          } finally {
            await engine.close();
            for (const t of FLOW_EVENT_TYPES) dcUnsubscribe(`flowlane.${t}`, diag);
          }
          const audit = await readFile(`${base}.audit.jsonl`, 'utf8');
          expect((await verifyAuditLog(`${base}.audit.jsonl`)).ok).toBe(true);
          sinks.push(`audit ${audit}`);
          const all = sinks.join('\n');
          // …and every sink saw the nodes' activity, redacted.
          expect(all).toContain('using [REDACTED]');
          expect(audit).toContain('res-[REDACTED]');
          expect(all).toContain('failed with [REDACTED]');
          for (const s of [s1, s2, s3]) {
            expect(all).not.toContain(s);
            expect(all).not.toContain(JSON.stringify(s).slice(1, -1));
          }
        }),
        { numRuns: 25, seed: 2026 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(runs).toBeGreaterThanOrEqual(25);
  }, 60_000);
});

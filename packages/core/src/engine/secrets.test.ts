import { channel } from 'node:diagnostics_channel';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { createMemoryAuditSink } from '../defaults/memory-audit-sink.js';
import type { Logger, SecretsProvider } from '../plugin/types.js';
import { REDACTED, Redactor } from '../runtime/redactor.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

const secretsFrom = (values: Record<string, string>): SecretsProvider => ({ name: 'test', get: (n) => values[n] });

/** Everything a run lets out: its events, the engine stream, diagnostics_channel, logs, audit, records, errors. */
function collect() {
  const seen: unknown[] = [];
  const logger: Logger = {
    debug: (m, f) => void seen.push(m, f),
    info: (m, f) => void seen.push(m, f),
    warn: (m, f) => void seen.push(m, f),
    error: (m, f) => void seen.push(m, f),
  };
  const audit = createMemoryAuditSink();
  const types = ['node.log', 'node.failed', 'workflow.failed', 'node.completed', 'custom'] as const;
  const listeners = types.map((t) => {
    const ch = channel(`flowlane.${t}`);
    const fn = (m: unknown): void => void seen.push(m);
    ch.subscribe(fn);
    return () => ch.unsubscribe(fn);
  });
  return {
    logger,
    audit,
    seen,
    dump(extra: unknown[]): string {
      for (const off of listeners) off();
      return JSON.stringify([seen, audit.records, extra], (_k, v: unknown) =>
        v instanceof Error ? { message: v.message, stack: v.stack, cause: v.cause } : v,
      );
    },
  };
}

describe('secrets in subworkflows (one redaction set, both ways)', () => {
  it('a secret resolved in the parent and passed to a child is redacted in the child events on every channel', async () => {
    const secret = 'parent-s3cret-value-91';
    const out = collect();
    const child = workflow('child')
      .input<{ token: string }>()
      .addNode('use', (ctx) => {
        ctx.log.info(`child got ${ctx.input.token}`);
        throw new Error(`child failed with ${ctx.input.token}`);
      })
      .build();
    const parent = workflow('parent')
      .addNode('get', (ctx) => ctx.getSecret('tok'))
      .subworkflow('sub', child, (ctx) => ({ token: ctx.results.get }), { dependsOn: ['get'] })
      .build();
    const e = engine({ secrets: [secretsFrom({ tok: secret })], logger: out.logger });
    const engineEvents: FlowEvent[] = [];
    const sub = e.events$.subscribe((ev) => engineEvents.push(ev));
    const run = e.run(parent, {});
    const r = await run.result;
    sub.unsubscribe();
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    expect(r.status).toBe('failed');
    const childLogs = engineEvents.filter((ev) => ev.type === 'node.log');
    expect(childLogs).toHaveLength(1);
    expect(JSON.stringify(childLogs)).toContain(`child got ${REDACTED}`);
    const dump = out.dump([events, engineEvents, r.nodes, r.error?.message, r.error?.stack]);
    expect(dump).not.toContain(secret);
    expect(dump).toContain(REDACTED);
  });

  it('a secret resolved in the child is redacted in the parent too (also after the child ended)', async () => {
    const secret = 'child-only-s3cret-77';
    const child = workflow('child')
      .addNode('get', (ctx) => ctx.getSecret('tok'))
      .build();
    const parent = workflow('parent')
      .subworkflow('sub', child, () => ({}))
      .chain('leak', (ctx) => {
        ctx.log.warn(`parent saw ${JSON.stringify(ctx.results.sub)}`);
        return 1;
      })
      .build();
    const run = engine({ secrets: [secretsFrom({ tok: secret })] }).run(parent, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    expect(JSON.stringify([events, r.nodes])).not.toContain(secret);
  });
});

describe('redaction of byte views and toJSON', () => {
  const secret = 'bytes-s3cret-42';
  const r = new Redactor();
  r.add(secret);

  it('a Buffer holding the secret becomes a redacted copy; other views become [REDACTED]', () => {
    const buf = Buffer.from(`a ${secret} b ${secret}`);
    const red = r.value({ buf }).buf as unknown as Buffer;
    expect(Buffer.isBuffer(red)).toBe(true);
    expect(red.toString()).toBe(`a ${REDACTED} b ${REDACTED}`);
    expect(buf.toString()).toContain(secret); // the original is not touched
    const u8 = new Uint8Array(Buffer.from(`x${secret}`));
    expect(r.value([u8, new DataView(u8.buffer), u8.buffer])).toEqual([REDACTED, REDACTED, REDACTED]);
    const clean = Buffer.from('nothing here');
    expect(r.value({ clean }).clean).toBe(clean);
  });

  it('objects with their own toJSON are serialised first, then redacted', () => {
    class Token {
      toJSON() {
        return { value: secret };
      }
    }
    const out = r.value({ t: new Token(), s: { toJSON: () => `wrapped ${secret}` } });
    expect(JSON.stringify(out)).not.toContain(secret);
    expect(out).toEqual({ t: { value: REDACTED }, s: `wrapped ${REDACTED}` });
  });

  it('a node logging a Buffer or a toJSON object with a secret emits it redacted', async () => {
    const wf = workflow('bytes')
      .addNode('n', async (ctx) => {
        const s = await ctx.getSecret('k');
        ctx.log.info('payload', {
          raw: Buffer.from(s),
          view: new Uint8Array(Buffer.from(s)),
          obj: { toJSON: () => s },
        });
        ctx.emitEvent('bytes', Buffer.from(`[${s}]`));
      })
      .build();
    const run = engine({ secrets: [secretsFrom({ k: secret })] }).run(wf, {});
    await run.result;
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const json = JSON.stringify(events, (_k, v: unknown) =>
      v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer'
        ? Buffer.from((v as { data: number[] }).data).toString()
        : v,
    );
    expect(json).not.toContain(secret);
    expect(json).toContain(REDACTED);
  });
});

describe('values that are secret but not from a provider', () => {
  it('ctx.markSecret(value) redacts from then on, in the run and its subworkflows', async () => {
    const token = 'minted-token-123456';
    const child = workflow('child')
      .input<{ t: string }>()
      .addNode('c', (ctx) => ctx.log.info(`child ${ctx.input.t}`))
      .build();
    const wf = workflow('mark')
      .addNode('mint', (ctx) => {
        ctx.markSecret(token);
        ctx.log.info(`minted ${token}`);
        return token;
      })
      .subworkflow('sub', child, (ctx) => ({ t: ctx.results.mint }), { dependsOn: ['mint'] })
      .build();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const logs = events.filter((e) => e.type === 'node.log').map((e) => (e as { message: string }).message);
    expect(logs).toEqual([`minted ${REDACTED}`, `child ${REDACTED}`]);
    expect(JSON.stringify([events, r.nodes])).not.toContain(token);
    expect(r.outputs.mint).toBe(token);
  });

  it('markSecret rejects a non-string with FL_INVALID_OPTION', async () => {
    const wf = workflow('bad')
      .addNode('n', (ctx) => ctx.markSecret(42 as unknown as string))
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.nodes.n!.error).toMatchObject({ code: 'FL_INVALID_OPTION' });
  });

  it('redact: { also } on the run and on the engine', async () => {
    const wf = workflow('also')
      .addNode('n', (ctx) => {
        ctx.log.info('run-value-1234 and engine-value-5678');
      })
      .build();
    const e = engine({ redact: { also: ['engine-value-5678'] } });
    const run = e.run(wf, {}, { redact: { also: ['run-value-1234'] } });
    await run.result;
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const log = events.find((x) => x.type === 'node.log') as { message: string };
    expect(log.message).toBe(`${REDACTED} and ${REDACTED}`);
    expect(() => e.run(wf, {}, { redact: { also: 'x' as unknown as string[] } })).toThrow(
      expect.objectContaining({ code: 'FL_INVALID_OPTION' }),
    );
    expect(() => engine({ redact: [] as never })).toThrow(expect.objectContaining({ code: 'FL_INVALID_OPTION' }));
  });
});

describe('commands and FLOWLANE_SECRET_* variables', () => {
  it('a command does not inherit FLOWLANE_SECRET_*; a secret passed explicitly is redacted in that run', async () => {
    const secret = 'env-secret-value-314';
    process.env.FLOWLANE_SECRET_DEFECT_TEST = secret;
    try {
      const wf = workflow('env')
        .addNode('implicit', async (ctx) => (await ctx.exec('env')).stdout)
        .addNode('explicit', async (ctx) => {
          const token = await ctx.getSecret('defect-test');
          const { stdout } = await ctx.exec('sh', { args: ['-c', 'echo "token=$TOKEN"'], env: { TOKEN: token } });
          ctx.log.info(stdout);
          return stdout;
        })
        .build();
      const run = engine().run(wf, {});
      const r = await run.result;
      expect(r.status).toBe('success');
      expect(String(r.outputs.implicit)).not.toContain('FLOWLANE_SECRET_DEFECT_TEST');
      expect(String(r.outputs.implicit)).toContain('PATH=');
      expect(r.outputs.explicit).toBe(`token=${secret}\n`);
      const events = await firstValueFrom(run.events$.pipe(toArray()));
      expect(JSON.stringify([events, r.nodes])).not.toContain(secret);
    } finally {
      delete process.env.FLOWLANE_SECRET_DEFECT_TEST;
    }
  });
});

describe('commands and FLOWLANE_SECRETS_* variables (the secrets-file key)', () => {
  it('a command does not inherit FLOWLANE_SECRETS_KEY or another FLOWLANE_SECRETS_* variable', async () => {
    const key = 'master-key-of-the-secrets-file-271';
    process.env.FLOWLANE_SECRETS_KEY = key;
    process.env.FLOWLANE_SECRETS_PASSPHRASE = `${key}-pass`;
    try {
      const wf = workflow('env-key')
        .addNode('implicit', async (ctx) => (await ctx.exec('env')).stdout)
        .build();
      const r = await engine().run(wf, {}).result;
      expect(r.status).toBe('success');
      expect(String(r.outputs.implicit)).toContain('PATH=');
      expect(String(r.outputs.implicit)).not.toContain(key);
      expect(String(r.outputs.implicit)).not.toContain('FLOWLANE_SECRETS_');
    } finally {
      delete process.env.FLOWLANE_SECRETS_KEY;
      delete process.env.FLOWLANE_SECRETS_PASSPHRASE;
    }
  });
});

describe('a run that joins another run’s cache computation', () => {
  it('redacts the leader’s secrets in the value and the error it receives', async () => {
    const secret = 'leader-s3cret-0042';
    const e = engine({ secrets: [secretsFrom({ k: secret })] });
    const wf = (fail: boolean) =>
      workflow(fail ? 'shared-fail' : 'shared-ok')
        .addNode(
          'n',
          async (ctx) => {
            const s = await ctx.getSecret('k');
            await new Promise((r) => setImmediate(r));
            if (fail) throw new Error(`backend refused ${s}`);
            return `made with ${s}`;
          },
          { cache: { ttl: 60_000, keyFn: () => 'one' } },
        )
        .build();
    for (const fail of [true, false]) {
      const runs = [e.run(wf(fail), {}), e.run(wf(fail), {})];
      const rs = await Promise.all(runs.map((r) => r.result));
      const events = await Promise.all(runs.map((r) => firstValueFrom(r.events$.pipe(toArray()))));
      expect(rs[1]!.nodes.n!.cacheHit ?? false).toBe(!fail);
      expect(JSON.stringify([events, rs.map((r) => [r.nodes, r.error?.message])])).not.toContain(secret);
    }
  });
});

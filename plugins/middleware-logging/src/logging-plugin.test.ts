import { Writable } from 'node:stream';
import {
  createEngine,
  createEnvSecretsProvider,
  createVirtualClock,
  type Engine,
  type EngineOptions,
  type Logger,
  workflow,
} from '@flowlane/core';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoggingMiddleware, type LoggingOptions, logging, type PinoLikeLogger } from './index.js';

interface Line {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A pino-compatible logger that keeps what it is given. */
function capture(): PinoLikeLogger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
const engineWith = (options: LoggingOptions, extra: EngineOptions = {}): Engine => {
  const e = createEngine({ ...extra, plugins: [logging(options), ...(extra.plugins ?? [])] });
  engines.push(e);
  return e;
};

const summary = (lines: readonly Line[]): string[] =>
  lines.map((l) => `${l.level} ${l.msg}${l.fields.nodeId === undefined ? '' : ` ${String(l.fields.nodeId)}`}`);

describe('logging()', () => {
  it('writes run and node lines with ids, attempt and durations from the engine clock', async () => {
    const clock = createVirtualClock();
    const log = capture();
    const e = engineWith({ logger: log, bindings: { service: 'deployer' } }, { clock });
    const wf = workflow('deploy')
      .addNode('build', () => new Promise<string>((resolve) => clock.schedule(() => resolve('artifact'), 250)))
      .addNode('ship', (ctx) => `${ctx.results.build} shipped`, { dependsOn: ['build'] })
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(summary(log.lines)).toEqual([
      'debug workflow started',
      'debug node started build',
      'info node completed build',
      'debug node started ship',
      'info node completed ship',
      'info workflow completed',
    ]);
    const completed = log.lines[2]!.fields;
    expect(completed).toEqual({
      service: 'deployer',
      executionId: r.executionId,
      workflow: 'deploy',
      nodeId: 'build',
      attempt: 1,
      durationMs: 250,
    });
    expect(log.lines[5]!.fields).toMatchObject({ executionId: r.executionId, workflow: 'deploy', durationMs: 250 });
    expect(log.lines[0]!.fields).toMatchObject({ nodeCount: 2 });
  });

  it('writes one start and one end/failure line per attempt, with maxAttempts and the error name and code', async () => {
    const clock = createVirtualClock();
    const log = capture();
    const e = engineWith({ logger: log }, { clock });
    let n = 0;
    const wf = workflow('flaky')
      .addNode(
        'call',
        async () => {
          if (++n < 3) throw new TypeError(`attempt ${n} broke`);
          return 'ok';
        },
        { retry: { maxAttempts: 3, initialInterval: 1000 } },
      )
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    const nodeLines = log.lines.filter((l) => l.fields.nodeId === 'call');
    expect(nodeLines.map((l) => `${l.msg}#${String(l.fields.attempt)}`)).toEqual([
      'node started#1',
      'node failed#1',
      'node started#2',
      'node failed#2',
      'node started#3',
      'node completed#3',
    ]);
    expect(nodeLines[1]!.fields).toMatchObject({ maxAttempts: 3, error: { name: 'TypeError' } });
    expect(JSON.stringify(nodeLines[1]!.fields)).not.toContain('broke');
  });

  it('logs a timed-out attempt as failed with FL_TIMEOUT and a failed run with its redacted error', async () => {
    const clock = createVirtualClock();
    const log = capture();
    const e = engineWith({ logger: log }, { clock });
    const wf = workflow('slow')
      .addNode(
        'wait',
        (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        {
          timeout: 500,
        },
      )
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('failed');
    const failed = log.lines.find((l) => l.msg === 'node failed');
    expect(failed?.fields).toMatchObject({ nodeId: 'wait', durationMs: 500, error: { code: 'FL_TIMEOUT' } });
    const runFailed = log.lines.find((l) => l.msg === 'workflow failed');
    expect(runFailed).toMatchObject({ level: 'error', fields: { nodeId: 'wait', error: { code: 'FL_NODE_FAILED' } } });
  });

  it('never lets a secret reach the logger: errors, ctx.log lines and (opt-in) data are redacted', async () => {
    const secret = 's3cr3t-token-value';
    const log = capture();
    const e = engineWith(
      { logger: log, data: true },
      { secrets: [createEnvSecretsProvider({ env: { FLOWLANE_SECRET_API_TOKEN: secret } })] },
    );
    const wf = workflow('leaky')
      .addNode('fetch', async (ctx) => {
        const token = await ctx.getSecret('api-token');
        ctx.log.info(`calling with ${token}`, { token, nested: { list: [token] } });
        return { header: `Bearer ${token}` };
      })
      .addNode(
        'use',
        (ctx) => {
          throw new Error(`upstream rejected ${ctx.results.fetch.header}`);
        },
        { dependsOn: ['fetch'] },
      )
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('failed');
    const text = JSON.stringify(log.lines);
    expect(text).not.toContain(secret);
    expect(text).toContain('[REDACTED]');
    expect(summary(log.lines)).toEqual([
      'debug workflow started',
      'debug node started fetch',
      'info calling with [REDACTED] fetch',
      'info node completed fetch',
      'debug node output fetch',
      'debug node started use',
      'debug node input use',
      'error node failed use',
      'error workflow failed use',
    ]);
    expect(log.lines.find((l) => l.msg === 'node input')?.fields).toMatchObject({
      input: { fetch: { header: 'Bearer [REDACTED]' } },
    });
    expect(log.lines.find((l) => l.msg === 'workflow failed')?.fields.error).toMatchObject({
      message: expect.stringContaining('upstream rejected Bearer [REDACTED]'),
    });
  });

  it('logs no data unless asked', async () => {
    const log = capture();
    const e = engineWith({ logger: log });
    await e.run(
      workflow('quiet')
        .addNode('a', () => ({ big: 'payload' }))
        .chain('b', (ctx) => ctx.results.a)
        .build(),
      {},
    ).result;
    expect(JSON.stringify(log.lines)).not.toContain('payload');
  });

  it('data: { input: true } logs only inputs (parent outputs by id) of nodes that have parents', async () => {
    const log = capture();
    const e = engineWith({ logger: log, data: { input: true } });
    await e.run(
      workflow('in')
        .addNode('a', () => 1)
        .addNode('b', () => 2)
        .addNode('c', (ctx) => ctx.results.a + ctx.results.b, { dependsOn: ['a', 'b'] })
        .build(),
      {},
    ).result;
    const data = log.lines.filter((l) => l.msg === 'node input' || l.msg === 'node output');
    expect(data.map((l) => [l.fields.nodeId, l.fields.input])).toEqual([['c', { a: 1, b: 2 }]]);
  });

  it('honours levels (silent drops lines), filter, nodeLogs: false and runs: false', async () => {
    const log = capture();
    const e = engineWith({
      logger: log,
      levels: { start: 'silent', end: 'debug', failure: 'warn' },
      filter: ({ nodeId }) => nodeId !== 'hidden',
      nodeLogs: false,
      runs: false,
    });
    await e.run(
      workflow('lv')
        .addNode('shown', (ctx) => {
          ctx.log.info('not forwarded');
          return 1;
        })
        .addNode('hidden', () => 2)
        .addNode(
          'bad',
          () => {
            throw new Error('x');
          },
          { onError: 'continue' },
        )
        .build(),
      {},
    ).result;
    expect(summary(log.lines).sort()).toEqual(['debug node completed shown', 'warn node failed bad']);
  });

  it('defaults to the engine logger (message first, fields second)', async () => {
    const seen: [string, string, Record<string, unknown> | undefined][] = [];
    const logger: Logger = {
      debug: (m, f) => void seen.push(['debug', m, f]),
      info: (m, f) => void seen.push(['info', m, f]),
      warn: (m, f) => void seen.push(['warn', m, f]),
      error: (m, f) => void seen.push(['error', m, f]),
    };
    const e = engineWith({}, { logger });
    await e.run(
      workflow('dflt')
        .addNode('a', () => 1)
        .build(),
      {},
    ).result;
    expect(seen.map(([level, m]) => `${level} ${m}`)).toEqual([
      'debug workflow started',
      'debug node started',
      'info node completed',
      'info workflow completed',
    ]);
    expect(seen[2]![2]).toMatchObject({ nodeId: 'a', attempt: 1 });
  });

  it('works with a real pino logger (JSON lines with msg, level and our fields)', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    const logger = pino({ level: 'debug', base: null, timestamp: false }, stream);
    const e = engineWith({ logger: logger.child({ component: 'flowlane' }) });
    await e.run(
      workflow('pino')
        .addNode('a', (ctx) => {
          ctx.log.warn('careful', { step: 1 });
          return 1;
        })
        .build(),
      {},
    ).result;
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => `${String(l.level)} ${String(l.msg)}`)).toEqual([
      '20 workflow started',
      '20 node started',
      '40 careful',
      '30 node completed',
      '30 workflow completed',
    ]);
    expect(lines[3]).toMatchObject({ component: 'flowlane', workflow: 'pino', nodeId: 'a', attempt: 1 });
    expect(typeof lines[3]!.durationMs).toBe('number');
    expect(lines[2]).toMatchObject({ step: 1, nodeId: 'a' });
  });

  it('stops forwarding events when the engine closes', async () => {
    const log = capture();
    const e = createEngine({ plugins: [logging({ logger: log })] });
    await e.ready();
    await e.close();
    expect(log.lines).toEqual([]);
  });
});

describe('createLoggingMiddleware()', () => {
  it('can be used without the plugin (EngineOptions.middleware)', async () => {
    const log = capture();
    let t = 0;
    const e = createEngine({ middleware: [createLoggingMiddleware({ logger: log, now: () => (t += 5) })] });
    engines.push(e);
    await e.run(
      workflow('direct')
        .addNode('a', () => 1)
        .build(),
      {},
    ).result;
    expect(log.lines.map((l) => [l.msg, l.fields.durationMs])).toEqual([
      ['node started', undefined],
      ['node completed', 5],
    ]);
  });
});

describe('logging(): unknown options', () => {
  const thrown = (o: unknown): unknown => {
    try {
      logging(o as LoggingOptions);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('rejects a misspelt key with FL_INVALID_OPTION and the closest known key, at every level', () => {
    expect(thrown({ levl: { start: 'info' } })).toMatchObject({
      code: 'FL_INVALID_OPTION',
      details: { option: 'levl' },
      message: '@flowlane/middleware-logging: invalid levl: unknown option; did you mean "levels"?',
    });
    expect(thrown({ levels: { strat: 'info' } })).toMatchObject({
      code: 'FL_INVALID_OPTION',
      details: { option: 'levels.strat' },
    });
    expect((thrown({ levels: { strat: 'info' } }) as Error).message).toContain('did you mean "start"?');
    expect(thrown({ data: { outputs: true } })).toMatchObject({ details: { option: 'data.outputs' } });
    expect(thrown({ nodeLogs: false, runs: false, bindings: {}, data: true })).toBeUndefined();
  });
});

import { createEngine, type Engine, isFlowlaneError, type StandardSchemaV1, workflow } from '@flowlane/core';
import { type } from 'arktype';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createValidationMiddleware, formatIssues, type ValidationOptions, validation } from './index.js';

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});
const engineWith = (options: ValidationOptions): Engine => {
  const e = createEngine({ plugins: [validation(options)] });
  engines.push(e);
  return e;
};

const Order = z.object({ id: z.string(), qty: z.number().int().positive() });

/** A two-node workflow: `order` produces `raw`, `total` receives it. */
const orderFlow = (raw: unknown, calls = { total: 0 }) =>
  workflow('orders')
    .addNode('order', () => raw)
    .addNode(
      'total',
      (ctx) => {
        calls.total++;
        return (ctx.results.order as { qty: number }).qty * 2;
      },
      { dependsOn: ['order'] },
    )
    .build();

describe('validation(): outputs', () => {
  it('passes valid output through unchanged', async () => {
    const e = engineWith({ nodes: { order: { output: Order } } });
    const r = await e.run(orderFlow({ id: 'o1', qty: 2, extra: true }), {}).result;
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ order: { id: 'o1', qty: 2, extra: true }, total: 4 });
  });

  it('fails the node with FL_VALIDATION_FAILED listing every issue as "path: message"', async () => {
    const e = engineWith({ nodes: { order: { output: Order } } });
    const calls = { total: 0 };
    const r = await e.run(orderFlow({ id: 7, qty: -1 }, calls), {}).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.order?.status).toBe('failed');
    const err = r.nodes.order?.error;
    expect(err?.code).toBe('FL_VALIDATION_FAILED');
    expect(err?.details).toMatchObject({ nodeId: 'order', stage: 'output' });
    const issues = (err!.details as { issues: string[] }).issues;
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^id: /);
    expect(issues[1]).toMatch(/^qty: /);
    expect(err?.message).toContain('Node "order" output failed validation');
    expect(calls.total).toBe(0);
    expect(r.error?.code).toBe('FL_NODE_FAILED');
  });

  it('useParsedOutput returns the schema output (transforms, defaults, stripped keys)', async () => {
    const e = engineWith({
      nodes: { order: { output: Order.extend({ note: z.string().default('none') }) } },
      useParsedOutput: true,
    });
    const r = await e.run(orderFlow({ id: 'o1', qty: 3, extra: true }), {}).result;
    expect(r.outputs.order).toEqual({ id: 'o1', qty: 3, note: 'none' });
  });
});

describe('validation(): inputs', () => {
  it('checks the outputs of the nodes a node depends on, before its function runs', async () => {
    const calls = { total: 0 };
    const e = engineWith({ nodes: { total: { input: z.object({ order: Order }) } } });
    const bad = await e.run(orderFlow({ id: 'o1', qty: 0 }, calls), {}).result;
    expect(bad.nodes.total?.error?.code).toBe('FL_VALIDATION_FAILED');
    expect(bad.nodes.total?.error?.details).toMatchObject({
      stage: 'input',
      issues: [expect.stringMatching(/^order\.qty: /)],
    });
    expect(calls.total).toBe(0);
    const good = await e.run(orderFlow({ id: 'o1', qty: 5 }, calls), {}).result;
    expect(good.outputs.total).toBe(10);
    expect(calls.total).toBe(1);
  });
});

describe('validation(): node ids that are Object.prototype names', () => {
  it('a node `constructor` depending on `__proto__` gets its own schema and its dependency in the input', async () => {
    const wf = workflow('proto')
      .addNode('__proto__', () => 5)
      .addNode(
        'constructor',
        (ctx) => (Object.getOwnPropertyDescriptor(ctx.results, '__proto__')?.value as number) + 1,
        {
          dependsOn: ['__proto__'],
        },
      )
      .addNode('toString', () => 'no schema for me')
      .build();
    // A hand-written Standard Schema: the parent value must be an own `__proto__` entry ≤ max.
    const protoAtMost = (max: number): StandardSchemaV1 => ({
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (v) => {
          const n =
            typeof v === 'object' && v !== null ? Object.getOwnPropertyDescriptor(v, '__proto__')?.value : undefined;
          return typeof n === 'number' && n <= max
            ? { value: v }
            : { issues: [{ message: `__proto__ must be a number ≤ ${max}, got ${String(n)}` }] };
        },
      },
    });
    const ok = engineWith({ nodes: { constructor: { input: protoAtMost(10) } } });
    const r = await ok.run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(r.outputs.constructor).toBe(6);
    const strict = engineWith({ nodes: { constructor: { input: protoAtMost(3) } } });
    const bad = await strict.run(wf, {}).result;
    expect(bad.nodes['constructor' as string]?.error?.code).toBe('FL_VALIDATION_FAILED');
  });
});

describe('validation(): where schemas come from', () => {
  it('valibot schemas work the same (any Standard Schema)', async () => {
    const e = engineWith({ nodes: { order: { output: v.object({ id: v.string(), qty: v.number() }) } } });
    expect((await e.run(orderFlow({ id: 'a', qty: 1 }), {}).result).status).toBe('success');
    const r = await e.run(orderFlow({ id: 'a', qty: '1' }), {}).result;
    expect(r.nodes.order?.error?.details).toMatchObject({ issues: [expect.stringMatching(/^qty: /)] });
  });

  it('arktype types work the same (any Standard Schema)', async () => {
    const e = engineWith({ nodes: { order: { output: type({ id: 'string', qty: 'number.integer > 0' }) } } });
    expect((await e.run(orderFlow({ id: 'a', qty: 1 }), {}).result).status).toBe('success');
    const r = await e.run(orderFlow({ id: 'a', qty: 0 }), {}).result;
    expect(r.nodes.order?.error).toMatchObject({ code: 'FL_VALIDATION_FAILED' });
    expect(r.nodes.order?.error?.details).toMatchObject({ stage: 'output', issues: [expect.stringMatching(/^qty: /)] });
  });

  it('a hand-written Standard Schema (no library), sync or async', async () => {
    const even: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (x) =>
          typeof x === 'number' && x % 2 === 0 ? { value: x } : { issues: [{ message: 'not even' }] },
      },
    };
    const e = engineWith({ nodes: { total: { output: even } } });
    expect((await e.run(orderFlow({ id: 'a', qty: 1 }), {}).result).status).toBe('success');
    const odd = workflow('odd')
      .addNode('total', () => 3)
      .build();
    const r = await e.run(odd, {}).result;
    expect(r.nodes.total?.error?.details).toEqual({ nodeId: 'total', stage: 'output', issues: ['not even'] });
  });

  it('meta.validate names schemas registered in options.schemas', async () => {
    const e = engineWith({ schemas: { order: Order, positive: z.number().positive() } });
    const wf = workflow('meta')
      .addNode('order', () => ({ id: 'x', qty: 0 }), { meta: { validate: { output: 'order' } }, onError: 'continue' })
      .addNode('n', () => -1, { meta: { validate: { output: 'positive' } }, onError: 'continue' })
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.nodes.order?.error?.details).toMatchObject({ stage: 'output', issues: [expect.stringMatching(/^qty: /)] });
    expect(r.nodes.n?.error?.code).toBe('FL_VALIDATION_FAILED');
  });

  it('an unknown schema name, or a schema object put in meta, fails the node with FL_INVALID_OPTION and a hint', async () => {
    const e = engineWith({ schemas: { order: Order } });
    const wf = workflow('misconfigured')
      .addNode('a', () => 1, { meta: { validate: { output: 'ordr' } }, onError: 'continue' })
      .addNode('b', () => 1, { meta: { validate: { output: z.number() } }, onError: 'continue' })
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.nodes.a?.error).toMatchObject({
      code: 'FL_INVALID_OPTION',
      message: expect.stringContaining('registered: order'),
    });
    expect(r.nodes.b?.error).toMatchObject({
      code: 'FL_INVALID_OPTION',
      message: expect.stringContaining('node descriptions are JSON'),
    });
  });

  it('precedence: workflows[wf][node] over nodes[node] over meta.validate, per stage', async () => {
    const fail = (msg: string): StandardSchemaV1 => ({
      '~standard': { version: 1, vendor: 'test', validate: () => ({ issues: [{ message: msg }] }) },
    });
    const e = engineWith({
      workflows: { scoped: { a: { output: fail('workflow-scoped') } } },
      nodes: { a: { output: fail('by-id'), input: fail('input-by-id') } },
      schemas: { m: fail('meta') },
    });
    const mk = (name: string) =>
      workflow(name)
        .addNode('a', () => 1, { meta: { validate: { output: 'm' } }, onError: 'continue' })
        .addNode('b', () => 1, { meta: { validate: { output: 'm' } }, onError: 'continue' })
        .build();
    const scoped = await e.run(mk('scoped'), {}).result;
    const other = await e.run(mk('other'), {}).result;
    const issues = (r: typeof scoped, id: string) => (r.nodes[id]!.error!.details as { issues: string[] }).issues;
    // a has an input schema by id: that fails first, whichever output schema applies.
    expect(issues(scoped, 'a')).toEqual(['input-by-id']);
    expect(issues(scoped, 'b')).toEqual(['meta']);
    expect(issues(other, 'b')).toEqual(['meta']);
    const e2 = engineWith({
      workflows: { scoped: { a: { output: fail('workflow-scoped') } } },
      nodes: { a: { output: fail('by-id') } },
    });
    expect(issues(await e2.run(mk('scoped'), {}).result, 'a')).toEqual(['workflow-scoped']);
    expect(issues(await e2.run(mk('other'), {}).result, 'a')).toEqual(['by-id']);
  });

  it('nodes without schemas run unchecked', async () => {
    const e = engineWith({ nodes: { somethingElse: { output: Order } } });
    const r = await e.run(orderFlow('anything'), {}).result;
    expect(r.nodes.order?.status).toBe('success');
  });
});

describe('validation(): retries and options', () => {
  it('is retried like any node error unless FL_VALIDATION_FAILED is nonRetryable', async () => {
    const e = engineWith({ nodes: { a: { output: z.string() } } });
    let calls = 0;
    const wf = (nonRetryable: boolean) =>
      workflow('retry')
        .addNode(
          'a',
          () => {
            calls++;
            return 42;
          },
          {
            retry: {
              maxAttempts: 3,
              initialInterval: 1,
              ...(nonRetryable ? { nonRetryable: ['FL_VALIDATION_FAILED'] } : {}),
            },
          },
        )
        .build();
    await e.run(wf(false), {}).result;
    expect(calls).toBe(3);
    calls = 0;
    const r = await e.run(wf(true), {}).result;
    expect(calls).toBe(1);
    expect(r.nodes.a).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('rejects non-schema options at once with FL_PLUGIN_INVALID', () => {
    let err: unknown;
    try {
      validation({ nodes: { a: { output: { parse: () => 1 } as unknown as StandardSchemaV1 } } });
    } catch (e) {
      err = e;
    }
    expect(isFlowlaneError(err, 'FL_PLUGIN_INVALID')).toBe(true);
    expect((err as Error).message).toContain('nodes["a"].output');
  });

  it('createValidationMiddleware works without the plugin', async () => {
    const e = createEngine({ middleware: [createValidationMiddleware({ nodes: { order: { output: Order } } })] });
    engines.push(e);
    expect((await e.run(orderFlow({ id: 1 }), {}).result).nodes.order?.error?.code).toBe('FL_VALIDATION_FAILED');
  });

  it('formatIssues joins path segments (keys or { key } objects) with dots', () => {
    expect(
      formatIssues([{ message: 'a', path: ['x', 0, { key: 'y' }] }, { message: 'b' }, { message: 'c', path: [] }]),
    ).toEqual(['x.0.y: a', 'b', 'c']);
  });
});

describe('validation(): unknown options', () => {
  const thrown = (o: unknown): unknown => {
    try {
      validation(o as ValidationOptions);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('rejects a misspelt key with FL_INVALID_OPTION and the closest known key, also inside nodes and workflows', () => {
    const e = thrown({ schmas: {} });
    expect(isFlowlaneError(e, 'FL_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toBe(
      '@flowlane/middleware-validation: invalid schmas: unknown option; did you mean "schemas"?',
    );
    expect(thrown({ nodes: { quote: { outptu: z.number() } } })).toMatchObject({
      code: 'FL_INVALID_OPTION',
      details: { option: 'nodes["quote"].outptu' },
    });
    expect(thrown({ workflows: { w: { a: { inputs: z.number() } } } })).toMatchObject({
      details: { option: 'workflows["w"]["a"].inputs' },
    });
    expect(thrown({ nodes: { quote: { output: z.number() } }, useParsedOutput: true })).toBeUndefined();
  });
});

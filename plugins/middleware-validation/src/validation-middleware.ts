import { FlowlaneError, type Middleware, type MiddlewareContext, type StandardSchemaV1 } from '@flowlane/core';

/** Schemas of one node: `input` checks the outputs of the nodes it depends on (by id), `output` its result. */
export interface NodeSchemas {
  readonly input?: StandardSchemaV1 | undefined;
  readonly output?: StandardSchemaV1 | undefined;
}

/** Where schemas come from; see the README for precedence. */
export interface ValidationConfig {
  /** Schemas by node id, in every workflow. */
  readonly nodes?: Readonly<Record<string, NodeSchemas>> | undefined;
  /** Schemas by workflow name, then node id (wins over `nodes`). */
  readonly workflows?: Readonly<Record<string, Readonly<Record<string, NodeSchemas>>>> | undefined;
  /** Named schemas that nodes select with `meta: { validate: { input?: 'name', output?: 'name' } }`. */
  readonly schemas?: Readonly<Record<string, StandardSchemaV1>> | undefined;
  /** Return the schema's output value (zod transforms, defaults, stripped keys) instead of the node's. */
  readonly useParsedOutput?: boolean | undefined;
}

type Stage = 'input' | 'output';
type Issue = { readonly message: string; readonly path?: readonly unknown[] | undefined };

/** Formats Standard Schema issues as `path: message` (path segments joined with dots). */
export function formatIssues(issues: readonly Issue[]): string[] {
  return issues.map((i) => {
    const path = (i.path ?? [])
      .map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p)))
      .join('.');
    return path === '' ? i.message : `${path}: ${i.message}`;
  });
}

/** True when `value` implements Standard Schema v1 (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2, …). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const std = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

/** Validates `value`; resolves to the schema's output or throws `FL_VALIDATION_FAILED` with the issues. */
export async function validate(
  schema: StandardSchemaV1,
  value: unknown,
  nodeId: string,
  stage: Stage,
): Promise<unknown> {
  const verdict = await schema['~standard'].validate(value);
  if (verdict.issues !== undefined)
    throw new FlowlaneError('FL_VALIDATION_FAILED', { nodeId, stage, issues: formatIssues(verdict.issues) });
  return verdict.value;
}

/** `record[key]` only when it is the record's own entry (node ids such as `constructor` are not inherited names). */
const own = <T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;

const inputOf = (ctx: MiddlewareContext): Record<string, unknown> => {
  // Null prototype: a dependency may be called `__proto__`.
  const input = Object.create(null) as Record<string, unknown>;
  for (const id of ctx.node.dependsOn) input[id] = ctx.results[id];
  return input;
};

/** The schema of `stage` named in the node's `meta.validate`, if any (names only: descriptions are JSON). */
function fromMeta(ctx: MiddlewareContext, stage: Stage, config: ValidationConfig): StandardSchemaV1 | undefined {
  const spec = (ctx.node.options.meta as { validate?: unknown } | undefined)?.validate;
  if (spec === undefined) return undefined;
  const bad = (reason: string): never => {
    throw new FlowlaneError('FL_INVALID_OPTION', { nodeId: ctx.nodeId, option: 'meta.validate', reason });
  };
  if (typeof spec !== 'object' || spec === null) return bad('expected { input?: string, output?: string }');
  const name = (spec as Record<string, unknown>)[stage];
  if (name === undefined) return undefined;
  if (typeof name !== 'string')
    return bad(
      `meta.validate.${stage} must be the name of a schema registered with validation({ schemas }); node descriptions are JSON, so a schema object put in meta does not reach middleware`,
    );
  const schema = own(config.schemas, name);
  if (schema === undefined)
    return bad(
      `no schema named "${name}" (registered: ${Object.keys(config.schemas ?? {}).join(', ') || 'none'}); add it to validation({ schemas })`,
    );
  return schema;
}

/**
 * The middleware behind the {@link validation} plugin: checks a node's input before it runs (its function is not
 * called when the input is invalid) and its output after, with Standard Schema validators; a failure rejects the
 * attempt with `FL_VALIDATION_FAILED` (`details.issues` lists `path: message` strings).
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createValidationMiddleware } from '@flowlane/middleware-validation';
 * import { z } from 'zod';
 *
 * const mw = createValidationMiddleware({ nodes: { total: { output: z.number().nonnegative() } } });
 * const engine = createEngine({ middleware: [mw] });
 * ```
 */
export function createValidationMiddleware(config: ValidationConfig): Middleware {
  const useParsed = config.useParsedOutput === true;
  return async (ctx, next) => {
    const scoped = own(own(config.workflows, ctx.workflow), ctx.nodeId);
    const byId = own(config.nodes, ctx.nodeId);
    const input = scoped?.input ?? byId?.input ?? fromMeta(ctx, 'input', config);
    const output = scoped?.output ?? byId?.output ?? fromMeta(ctx, 'output', config);
    if (input === undefined && output === undefined) return next();
    if (input !== undefined) await validate(input, inputOf(ctx), ctx.nodeId, 'input');
    const result = await next();
    if (output === undefined) return result;
    const parsed = await validate(output, result, ctx.nodeId, 'output');
    return useParsed ? parsed : result;
  };
}

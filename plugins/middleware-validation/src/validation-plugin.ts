import {
  allKeys,
  definePlugin,
  FlowlaneError,
  type FlowlanePlugin,
  type StandardSchemaV1,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import {
  createValidationMiddleware,
  isStandardSchema,
  type NodeSchemas,
  type ValidationConfig,
} from './validation-middleware.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

const NAME = '@flowlane/middleware-validation';

/** Options of the {@link validation} plugin. */
export type ValidationOptions = ValidationConfig;

const OPTION_KEYS = allKeys<ValidationOptions>()(['nodes', 'workflows', 'schemas', 'useParsedOutput']);
const SCHEMA_KEYS = allKeys<NodeSchemas>()(['input', 'output']);

/** Unknown keys (a typo such as `schmas`, or `inputs` for a node) throw `FL_INVALID_OPTION` with "did you mean …?". */
function checkKeys(options: ValidationOptions): void {
  const reject = (value: unknown, known: readonly string[], where: string): void => {
    const [u] = unknownKeys(value, known);
    if (u !== undefined)
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: NAME,
        option: `${where}${u.key}`,
        reason: `unknown option; ${unknownKeyHint(u, known)}`,
      });
  };
  reject(options, OPTION_KEYS, '');
  for (const [id, s] of Object.entries(options.nodes ?? {})) reject(s, SCHEMA_KEYS, `nodes["${id}"].`);
  for (const [wf, nodes] of Object.entries(options.workflows ?? {}))
    for (const [id, s] of Object.entries(nodes)) reject(s, SCHEMA_KEYS, `workflows["${wf}"]["${id}"].`);
}

/** Throws `FL_PLUGIN_INVALID` unless every configured schema implements Standard Schema v1. */
function checkSchemas(options: ValidationOptions): void {
  const check = (where: string, schema: StandardSchemaV1 | undefined): void => {
    if (schema !== undefined && !isStandardSchema(schema))
      throw new FlowlaneError('FL_PLUGIN_INVALID', {
        plugin: NAME,
        reason: `${where} is not a Standard Schema v1 validator (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2 are)`,
      });
  };
  for (const [id, s] of Object.entries(options.nodes ?? {})) {
    check(`nodes["${id}"].input`, s.input);
    check(`nodes["${id}"].output`, s.output);
  }
  for (const [wf, nodes] of Object.entries(options.workflows ?? {}))
    for (const [id, s] of Object.entries(nodes)) {
      check(`workflows["${wf}"]["${id}"].input`, s.input);
      check(`workflows["${wf}"]["${id}"].output`, s.output);
    }
  for (const [name, s] of Object.entries(options.schemas ?? {})) check(`schemas["${name}"]`, s);
}

/**
 * Validates node inputs (the outputs of the nodes each depends on, by id) and outputs with any Standard Schema
 * validator — zod, valibot, arktype — configured per node id, per workflow and node, or by name from node
 * `meta.validate`. Invalid data fails the attempt with `FL_VALIDATION_FAILED` and its issues list.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { createEngine } from '@flowlane/core';
 * import { validation } from '@flowlane/middleware-validation';
 *
 * const engine = createEngine({
 *   plugins: [validation({ nodes: { quote: { output: z.object({ price: z.number().positive() }) } } })],
 * });
 * ```
 */
export function validation(options: ValidationOptions = {}): Readonly<FlowlanePlugin> {
  checkKeys(options);
  checkSchemas(options);
  return definePlugin({
    name: NAME,
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      api.middleware.use(createValidationMiddleware(options));
    },
  });
}

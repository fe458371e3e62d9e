import { expectTypeOf } from 'vitest';
import type { BoundaryOptions, NodeOptions } from './types.js';
import { EXTRA_KEYS, WORKFLOW_KEYS } from './validate-options.js';
import type { BranchOptions, ForEachOptions, ParallelOptions, WorkflowOptions } from './workflow-builder.js';

// The unknown-key lists name exactly the keys of the option types (a key added to a type must be added to its list,
// or build() would reject it as unknown). Checked here, not in validate-options.ts, to keep the builder's import
// graph free of cycles.
type ExtraOf<T> = Exclude<keyof T, keyof NodeOptions>;
// `concurrency` is a node option ({ key, limit } across runs) that parallel and forEach replace by their own number.
type GroupExtraOf<T> = Exclude<keyof T, Exclude<keyof NodeOptions, 'concurrency'>>;
expectTypeOf<(typeof EXTRA_KEYS.parallel)[number]>().toEqualTypeOf<
  GroupExtraOf<ParallelOptions<unknown, object, string>>
>();
expectTypeOf<(typeof EXTRA_KEYS.forEach)[number]>().toEqualTypeOf<
  GroupExtraOf<ForEachOptions<unknown, object, string, 'fail-fast'>>
>();
expectTypeOf<(typeof EXTRA_KEYS.branch)[number]>().toEqualTypeOf<ExtraOf<BranchOptions<unknown, object, string>>>();
expectTypeOf<(typeof EXTRA_KEYS.boundary)[number]>().toEqualTypeOf<
  Exclude<keyof BoundaryOptions, 'dependsOn' | 'timeout' | 'retry' | 'tags' | 'priority' | 'resources' | 'executor'>
>();
expectTypeOf<(typeof WORKFLOW_KEYS)[number]>().toEqualTypeOf<keyof WorkflowOptions>();

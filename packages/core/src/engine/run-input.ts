import type { StandardSchemaV1 } from '../builder/standard-schema.js';
import { isThenable } from '../compile/to-observable.js';

/**
 * Checks a run's input against the workflow's input schema (Standard Schema, sync or async): `valid` gets the
 * schema's output value, `invalid` the issues as readable lines (`path.to.field: message`). A throwing or rejecting
 * schema counts as one issue.
 */
export function checkInput(
  schema: StandardSchemaV1,
  input: unknown,
  valid: (value: unknown) => void,
  invalid: (issues: string[]) => void,
): void {
  let verdict: ReturnType<(typeof schema)['~standard']['validate']>;
  try {
    verdict = schema['~standard'].validate(input);
  } catch (e) {
    invalid([String((e as Error)?.message ?? e)]);
    return;
  }
  const apply = (r: Awaited<typeof verdict>): void => {
    if (r.issues !== undefined) {
      invalid(
        r.issues.map((i) =>
          i.path?.length
            ? `${i.path.map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String(p.key) : String(p))).join('.')}: ${i.message}`
            : i.message,
        ),
      );
      return;
    }
    valid(r.value);
  };
  if (isThenable(verdict))
    (verdict as Promise<Awaited<typeof verdict>>).then(apply, (e: unknown) => invalid([String(e)]));
  else apply(verdict as Awaited<typeof verdict>);
}

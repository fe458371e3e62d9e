/**
 * The Standard Schema interface (https://standardschema.dev), copied as its authors recommend so core needs no
 * dependency: zod, valibot and arktype schemas all implement it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** Result of a Standard Schema validation. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[] };

/** Output type of a Standard Schema. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;

/** Formats Standard Schema issues as `path: message` strings. */
export function formatIssues(
  issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[],
): string[] {
  return issues.map((i) => {
    const path = (i.path ?? [])
      .map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p)))
      .join('.');
    return path ? `${path}: ${i.message}` : i.message;
  });
}

/** True when `value` implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return typeof value === 'object' && value !== null && '~standard' in value;
}

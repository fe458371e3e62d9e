/** `K` when it lists every key of `T`; otherwise a type naming the missing keys (a readable compile error). */
type Exhaustive<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>] extends [never]
  ? K
  : { readonly 'keys missing from the list': Exclude<keyof T, K[number]> };

/**
 * The list of an options type's keys, checked at compile time to name every key of `T` and nothing else, so a key
 * added to an options interface cannot be forgotten by an unknown-key check (it would then be rejected at run time
 * as unknown). Pair it with {@link unknownKeys} in a plugin factory.
 *
 * @example
 * ```ts
 * import { allKeys, unknownKeys } from '@flowlane/core';
 * interface MyOptions { readonly url: string; readonly timeoutMs?: number | undefined }
 * const KEYS = allKeys<MyOptions>()(['url', 'timeoutMs']); // leaving one out is a compile error
 * unknownKeys({ url: 'x', timeoutMS: 5 }, KEYS); // [{ key: 'timeoutMS', suggestion: 'timeoutMs' }]
 * ```
 */
export const allKeys =
  <T>() =>
  <const K extends readonly (keyof T & string)[]>(keys: K & Exhaustive<T, K>): readonly string[] =>
    keys;

/** `K` when it lists every key of `T`; otherwise a type naming the missing keys (a readable compile error). */
type Exhaustive<T, K extends readonly PropertyKey[]> = [Exclude<keyof T, K[number]>] extends [never]
  ? K
  : { readonly 'keys missing from the list': Exclude<keyof T, K[number]> };

/**
 * Internal: the list of an options type's keys, checked at compile time to name every key of `T` and nothing else,
 * so a key added to an options interface cannot be forgotten by the unknown-key checks (it would be rejected at run
 * time as unknown).
 *
 * @example
 * ```ts
 * const RETRY_KEYS = allKeys<RetryPolicy>()(['maxAttempts', 'initialInterval', …]);
 * ```
 */
export const allKeys =
  <T>() =>
  <const K extends readonly (keyof T & string)[]>(keys: K & Exhaustive<T, K>): readonly string[] =>
    keys;

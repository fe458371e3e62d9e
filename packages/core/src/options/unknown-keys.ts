import { closest, distance } from 'fastest-levenshtein';

/** One key of an options object that the receiver does not know, with the closest known key when one is close. */
export interface UnknownKey {
  /** The key as it was given. */
  readonly key: string;
  /** The known key the caller most likely meant ("did you mean …?"), if one is close enough. */
  readonly suggestion?: string | undefined;
}

/**
 * The known key closest to `key` (case-insensitive Levenshtein distance), when it is close enough to be a likely
 * typo: at most 2 edits, or up to half the key's length for longer keys (`retires` → `retry`, `dependOn` →
 * `dependsOn`, `maxConcurentRuns` → `maxConcurrentRuns`).
 *
 * @example
 * ```ts
 * import { suggestKey } from '@flowlane/core';
 *
 * suggestKey('timeOut', ['timeout', 'retry']); // 'timeout'
 * suggestKey('zzz', ['timeout', 'retry']); // undefined
 * ```
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = known.map((k) => k.toLowerCase());
  const typed = key.toLowerCase();
  const best = closest(typed, lower);
  const d = distance(typed, best);
  if (d > Math.max(2, Math.floor(typed.length / 2))) return undefined;
  return known[lower.indexOf(best)];
}

/**
 * The own enumerable keys of `options` that are not in `known`, each with a suggestion when one is close.
 * Symbol keys are ignored. Returns `[]` for anything that is not a plain object.
 *
 * @example
 * ```ts
 * import { unknownKeys } from '@flowlane/core';
 *
 * unknownKeys({ retires: 3, timeout: 10 }, ['retry', 'timeout']); // [{ key: 'retires', suggestion: 'retry' }]
 * ```
 */
export function unknownKeys(options: unknown, known: readonly string[]): UnknownKey[] {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return [];
  const out: UnknownKey[] = [];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = suggestKey(key, known);
    out.push(suggestion === undefined ? { key } : { key, suggestion });
  }
  return out;
}

/**
 * The end of an error message for an unknown key: `did you mean "retry"?` when a known key is close, else the list
 * of known keys.
 *
 * @example
 * ```ts
 * import { unknownKeyHint } from '@flowlane/core';
 *
 * unknownKeyHint({ key: 'retires', suggestion: 'retry' }, ['retry', 'timeout']); // 'did you mean "retry"?'
 * ```
 */
export function unknownKeyHint(u: UnknownKey, known: readonly string[]): string {
  return u.suggestion !== undefined
    ? `did you mean "${u.suggestion}"?`
    : `known options: ${known.map((k) => `"${k}"`).join(', ')}`;
}

/* Internal: reject unknown option keys with a "did you mean …?" hint. */

/** Edit distance (Levenshtein), small strings only. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The first key of `value` that is not in `known`, with the closest known key when one is near. */
export function unknownKey(
  value: object,
  known: readonly string[],
): { readonly key: string; readonly reason: string } | undefined {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const best = known
      .map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const)
      .sort((x, y) => x[1] - y[1])[0];
    const hint =
      best !== undefined && best[1] <= Math.max(2, Math.floor(key.length / 3)) ? ` Did you mean "${best[0]}"?` : '';
    return { key, reason: `unknown option.${hint} Known options: ${known.join(', ')}` };
  }
  return undefined;
}

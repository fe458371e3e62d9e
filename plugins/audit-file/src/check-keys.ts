/** Closest known key to `key` (edit distance ≤ 3), for "did you mean …?" hints. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

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

/** The first unknown key of `options` with a reason naming the closest known key, or undefined. */
export function unknownKey(options: object, known: readonly string[]): { option: string; reason: string } | undefined {
  for (const key of Object.keys(options))
    if (!known.includes(key)) {
      const hint = closest(key, known);
      return {
        option: key,
        reason: `unknown option${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; known options: ${known.join(', ')}`,
      };
    }
  return undefined;
}

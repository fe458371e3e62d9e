import { FlowlaneError } from '../errors.js';

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, k) => k);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Internal: rejects keys of an options object that are not in `known` (`FL_INVALID_OPTION`, "did you mean …?"). */
export function checkOptionKeys(what: string, options: object, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null)
    throw new FlowlaneError('FL_INVALID_OPTION', { option: what, reason: 'expected an options object' });
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known
      .map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const)
      .filter(([, d]) => d <= 2)
      .sort((x, y) => x[1] - y[1])[0]?.[0];
    throw new FlowlaneError('FL_INVALID_OPTION', {
      option: `${what}.${key}`,
      reason: `unknown option${near === undefined ? '' : ` (did you mean "${near}"?)`}; known options: ${known.join(', ')}`,
    });
  }
}

/**
 * A seeded pseudo-random number generator (mulberry32): a function returning numbers in `[0, 1)`, the same sequence
 * for the same seed in every process and on every machine. For tests that need "random" inputs, DAGs or kill points
 * that a failure can reproduce (print the seed), and for a test and its child processes that must draw the same
 * numbers. Not for anything secret. `seed` is taken as a 32-bit unsigned integer (`seed >>> 0`).
 *
 * @example
 * ```ts
 * import { seededRandom } from '@flowlane/testing';
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * console.log(a() === b()); // true
 * const die = () => 1 + Math.floor(a() * 6); // 1 … 6
 * console.log(die() >= 1);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

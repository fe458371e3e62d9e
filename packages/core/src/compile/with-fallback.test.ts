import { firstValueFrom, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { withFallback } from './with-fallback.js';

const fail = (m: string) => throwError(() => new Error(m));

describe('withFallback', () => {
  it('runs the fallbacks in order, each with the error before it, until one succeeds', async () => {
    const seen: string[] = [];
    const fellBack: number[] = [];
    const out = fail('primary').pipe(
      withFallback<string>(
        [
          (e) => {
            seen.push((e as Error).message);
            return fail('first');
          },
          (e) => {
            seen.push((e as Error).message);
            return of('second');
          },
          () => of('never'),
        ],
        { cascades: () => true, fellBack: (_e, k) => fellBack.push(k) },
      ),
    );
    expect(await firstValueFrom(out)).toBe('second');
    expect(seen).toEqual(['primary', 'first']);
    expect(fellBack).toEqual([0, 1]);
  });

  it('lets the error go on when cascades refuses it or no fallback is left', async () => {
    const refused = fail('fatal').pipe(withFallback([() => of('x')], { cascades: () => false, fellBack: () => {} }));
    await expect(firstValueFrom(refused)).rejects.toThrow('fatal');
    const exhausted = fail('a').pipe(withFallback([() => fail('b')], { cascades: () => true, fellBack: () => {} }));
    await expect(firstValueFrom(exhausted)).rejects.toThrow('b');
  });

  it('leaves a source that succeeds alone', async () => {
    const out = of(1).pipe(withFallback([() => of(2)], { cascades: () => true, fellBack: () => {} }));
    expect(await firstValueFrom(out)).toBe(1);
  });
});

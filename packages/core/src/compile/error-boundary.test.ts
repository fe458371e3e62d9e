import { firstValueFrom, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { errorBoundary } from './error-boundary.js';

describe('errorBoundary', () => {
  const boundaries = [
    { matches: (e: unknown) => e instanceof TypeError, handle: (e: unknown) => of(`type: ${(e as Error).message}`) },
    { matches: () => true, handle: () => of('any') },
  ];

  it('hands the error to the first boundary that matches it', async () => {
    expect(await firstValueFrom(throwError(() => new TypeError('t')).pipe(errorBoundary(boundaries)))).toBe('type: t');
    expect(await firstValueFrom(throwError(() => new Error('e')).pipe(errorBoundary(boundaries)))).toBe('any');
  });

  it('lets an error no boundary matches go on, and a failing boundary fails', async () => {
    const none = throwError(() => new Error('x')).pipe(errorBoundary([boundaries[0]!]));
    await expect(firstValueFrom(none)).rejects.toThrow('x');
    const failing = throwError(() => new Error('x')).pipe(
      errorBoundary([{ matches: () => true, handle: () => throwError(() => new Error('boundary broke')) }]),
    );
    await expect(firstValueFrom(failing)).rejects.toThrow('boundary broke');
  });
});

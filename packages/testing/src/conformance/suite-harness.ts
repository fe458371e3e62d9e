/* Internal: what every component conformance suite (stores, schedulers) sets up first. */
import { afterEach, expect, it } from 'vitest';

/** A component the suites can make and throw away; every one has a name. */
interface Made {
  readonly name: string;
  dispose?(): unknown;
}

/**
 * Call inside a `describe`: returns `make`, which calls `factory` and keeps what it made, and registers an `afterEach`
 * that disposes all of it; then adds the `has a name` test (a non-empty string) on one made with `sample`.
 */
export function suiteHarness<A extends unknown[], T extends Made>(
  factory: (...args: A) => T | Promise<T>,
  ...sample: A
): (...args: A) => Promise<T> {
  const made: T[] = [];
  const make = async (...args: A): Promise<T> => {
    const s = await factory(...args);
    made.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of made.splice(0)) await s.dispose?.();
  });
  it('has a name', async () => {
    const s = await make(...sample);
    expect(typeof s.name).toBe('string');
    expect(s.name.length).toBeGreaterThan(0);
  });
  return make;
}

/** Execution ids unique across tests and processes, so durable stores shared between tests do not see each other's keys. */
export function uniqueIds(): (label: string) => string {
  let n = 0;
  return (label) => `conformance-${label}-${process.pid}-${Date.now()}-${n++}`;
}

import { createEngine, type Engine } from '@flowlane/core';
import { afterEach } from 'vitest';

/** Test helper: engines created through the returned factory are closed after each test. */
export function useEngines(): (...args: Parameters<typeof createEngine>) => Engine {
  const engines: Engine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
  });
  return (...args) => {
    const e = createEngine(...args);
    engines.push(e);
    return e;
  };
}

import { createEngine, type Engine, type EngineOptions } from '@flowlane/core';
import { afterEach } from 'vitest';

const engines: Engine[] = [];

// Every engine a test creates is closed after it, so no timer or run outlives the test and vitest exits on its own.
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

/** `createEngine(options)`, closed automatically after the current test. */
export function newEngine(options?: EngineOptions): Engine {
  const engine = createEngine(options);
  engines.push(engine);
  return engine;
}

import type { EngineRuntime } from './runtime.js';

const runtimes = new WeakMap<object, EngineRuntime>();

/** Internal: remember an engine's runtime (executors, secrets, redaction) for {@link runtimeOf}. */
export function registerRuntime(engine: object, rt: EngineRuntime): void {
  runtimes.set(engine, rt);
}

/** Internal: the runtime of an engine made by `createEngine`, or `undefined`. */
export function runtimeOf(engine: object): EngineRuntime | undefined {
  return runtimes.get(engine);
}

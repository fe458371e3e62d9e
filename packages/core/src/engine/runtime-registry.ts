import type { EngineRegistry } from './engine-registry.js';

const runtimes = new WeakMap<object, EngineRegistry<unknown>>();

/** Internal: remember an engine's services (executors, secrets, redaction) for {@link runtimeOf}. */
export function registerRuntime(engine: object, rt: EngineRegistry<unknown>): void {
  runtimes.set(engine, rt);
}

/** Internal: the services of an engine made by `createEngine`, or `undefined`. */
export function runtimeOf(engine: object): EngineRegistry<unknown> | undefined {
  return runtimes.get(engine);
}

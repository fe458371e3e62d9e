import type { StateStore } from '../plugin/types.js';

/**
 * The default state store behind `ctx.storage`: a map per execution, dropped when the run settles.
 *
 * @example
 * ```ts
 * import { createEngine, createMemoryStateStore } from '@flowlane/core';
 *
 * const engine = createEngine({ state: createMemoryStateStore() });
 * await engine.close();
 * ```
 */
export function createMemoryStateStore(): StateStore {
  const byRun = new Map<string, Map<string, unknown>>();
  return {
    name: 'memory',
    get: (id, key) => byRun.get(id)?.get(key),
    set: (id, key, value) => {
      let m = byRun.get(id);
      if (m === undefined) byRun.set(id, (m = new Map()));
      m.set(key, value);
    },
    delete: (id, key) => {
      byRun.get(id)?.delete(key);
    },
    release: (id) => {
      byRun.delete(id);
    },
    dispose: () => byRun.clear(),
  };
}

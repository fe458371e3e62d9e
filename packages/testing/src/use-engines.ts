import { createEngine, type Engine } from '@flowlane/core';
import { afterEach } from 'vitest';

/**
 * Test helper: returns a `createEngine` whose engines are all closed after each test (no leaked timers or
 * processes between tests).
 *
 * @example
 * ```ts
 * import { workflow } from '@flowlane/core';
 * import { useEngines } from '@flowlane/testing';
 * import { expect, it } from 'vitest';
 *
 * const wf = workflow('w').addNode('a', () => 1).build();
 * const engine = useEngines();
 * it('runs', async () => { expect((await engine().run(wf, {}).result).status).toBe('success'); });
 * ```
 */
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

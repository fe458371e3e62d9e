import { createEngine, definePlugin, isFlowlaneError } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { closeDuringSetup } from './close-during-setup.js';

const plugin = (name: string, setup: Parameters<typeof definePlugin>[0]['setup']) =>
  definePlugin({ name, version: '1.0.0', flowlane: '*', setup });

describe('closeDuringSetup', () => {
  it('reports a prompt close and FL_ENGINE_CLOSED for a setup that honours api.signal', async () => {
    const waiting = plugin(
      'waiting',
      (api) => new Promise((_, reject) => api.signal.addEventListener('abort', () => reject(api.signal.reason))),
    );
    const { closeMs, readyError } = await closeDuringSetup(createEngine({ plugins: [waiting] }));
    expect(closeMs).toBeLessThan(1_000);
    expect(isFlowlaneError(readyError, 'FL_ENGINE_CLOSED')).toBe(true);
  });

  it('reports no error when setup had finished, and the time close() took', async () => {
    const engine = createEngine({ plugins: [plugin('quick', () => undefined)] });
    await engine.ready();
    const { closeMs, readyError } = await closeDuringSetup(engine);
    expect(readyError).toBeUndefined();
    expect(closeMs).toBeGreaterThanOrEqual(0);
  });
});

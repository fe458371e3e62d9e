import { randomBytes } from 'node:crypto';
import { type IncomingMessage, request } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { createEngine, workflow } from '@flowlane/core';
import { expect, it } from 'vitest';
import { monitor } from './monitor-plugin.js';

// Nothing in this file imports `ws`: whether the monitor loaded it shows in the CommonJS module cache.
const require = createRequire(import.meta.url);
const wsDir = dirname(require.resolve('ws')) + sep;
const wsLoaded = (): boolean => Object.keys(require.cache).some((file) => file.startsWith(wsDir));

const TOKEN = 'test-token-0123456789';

/** A raw WebSocket upgrade request to `/ws`: the status it is answered with (101 when let in). */
function upgrade(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/ws`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        authorization: `Bearer ${token}`,
      },
    });
    req.on('upgrade', (res: IncomingMessage, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

it('loads ws only when the first client is let in: a monitor nobody connects to never does', async () => {
  expect(wsLoaded()).toBe(false);
  const mon = monitor({ port: 0, token: TOKEN });
  const engine = createEngine({ plugins: [mon] });
  try {
    await engine.ready();
    await engine.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      undefined,
    ).result;
    expect(await upgrade(mon.url, 'wrong-token-0123456789')).toBe(401);
    expect(wsLoaded()).toBe(false);
    expect(await upgrade(mon.url, TOKEN)).toBe(101);
    expect(wsLoaded()).toBe(true);
    expect(mon.stats().refused).toBe(1);
  } finally {
    await engine.close();
  }
});

import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type StatsdListener, startStatsdListener } from './start-statsd-listener.js';

describe('startStatsdListener', () => {
  let statsd: StatsdListener;
  let client: Socket;

  const send = (payload: string) =>
    new Promise<void>((resolve, reject) =>
      client.send(payload, statsd.port, statsd.host, (err) => (err ? reject(err) : resolve())),
    );

  beforeAll(async () => {
    statsd = await startStatsdListener();
    client = createSocket('udp4');
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => client?.close(() => resolve()));
    await statsd?.dispose();
  });

  beforeEach(() => statsd.clear());

  it('receives a counter line', async () => {
    expect(statsd.host).toBe('127.0.0.1');
    expect(statsd.port).toBeGreaterThan(0);
    const pending = statsd.waitForLines((lines) => lines.includes('foo:1|c'));
    await send('foo:1|c');
    expect(await pending).toEqual(['foo:1|c']);
    expect(statsd.lines).toEqual(['foo:1|c']);
  });

  it('splits buffered datagrams into lines and waits for a count', async () => {
    const pending = statsd.waitForLines(3);
    await send('a:1|c\nb:2|g\n');
    await send('c:3|ms|#tag:x');
    expect(await pending).toEqual(['a:1|c', 'b:2|g', 'c:3|ms|#tag:x']);
    // Already satisfied: resolves without waiting for more datagrams.
    expect(await statsd.waitForLines(2)).toHaveLength(3);
  });

  it('clear() forgets received lines', async () => {
    await send('x:1|c');
    await statsd.waitForLines(1);
    statsd.clear();
    expect(statsd.lines).toEqual([]);
  });

  it('rejects a wait that times out, naming what arrived', async () => {
    await send('unrelated:1|c');
    await expect(statsd.waitForLines((lines) => lines.includes('never:1|c'), { timeoutMs: 50 })).rejects.toThrow(
      /within 50 ms; got \["unrelated:1\|c"\]/,
    );
  });

  it('rejects pending waits on dispose and frees the port', async () => {
    const other = await startStatsdListener();
    const pending = other.waitForLines(1, { timeoutMs: 60_000 });
    await other.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    await expect(other.waitForLines(1)).rejects.toThrow(/disposed/);
    const rebind = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      rebind.once('error', reject);
      rebind.bind(other.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => rebind.close(() => resolve()));
  });
});

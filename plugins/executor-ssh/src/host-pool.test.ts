import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { isFlowlaneError } from '@flowlane/core';
import { type SshdService, startSshd } from '@flowlane/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSshExecutorError } from './errors.js';
import type { SshHostOptions } from './options.js';
import { createSshExecutor, type SshExecutor } from './ssh-executor.js';
import { hostOf, rejection, uniqueSleep, waitFor } from './ssh-test.test-helper.js';

let sshd: SshdService;
const executors: SshExecutor[] = [];
const closed: { host: string; connection: number; reason: string }[] = [];
const onClosed = (m: unknown) => closed.push(m as (typeof closed)[number]);

beforeAll(async () => {
  sshd = await startSshd();
  subscribe('flowlane.ssh.connection.closed', onClosed);
}, 30_000);
afterEach(async () => {
  await Promise.all(executors.splice(0).map((e) => e.dispose()));
});
afterAll(async () => {
  unsubscribe('flowlane.ssh.connection.closed', onClosed);
  await sshd?.dispose();
}, 30_000);

const executor = (extra: Partial<SshHostOptions> = {}, killGraceMs = 500): SshExecutor => {
  const ex = createSshExecutor({ hosts: { web1: hostOf(sshd, extra) }, killGraceMs });
  executors.push(ex);
  return ex;
};
const echo = (ex: SshExecutor, text: string) => ex.exec('echo', { args: [text], target: 'web1' }).result;

describe('connection pool', () => {
  it('reuses one authenticated connection for many commands', async () => {
    const ex = executor();
    for (let i = 0; i < 20; i++) expect((await echo(ex, `n${i}`)).stdout).toBe(`n${i}\n`);
    expect(ex.stats().web1).toMatchObject({ opened: 1, connections: 1, channels: 0, waiting: 0 });
  });

  it('opens no connection before the first command', () => {
    expect(executor().stats().web1).toMatchObject({ opened: 0, connections: 0 });
  });

  it('bounds channels per connection and queues the rest (FIFO)', async () => {
    const ex = executor({ maxConnections: 1, maxChannelsPerConnection: 2 });
    // Each command prints when it started on the server, then sleeps: the queue's order is the order of the starts
    // (completion order would also depend on how fast each channel opened, which a loaded machine varies).
    const runs = Array.from(
      { length: 6 },
      () => ex.exec('sh', { args: ['-c', 'date +%s%N; sleep 0.2'], target: 'web1' }).result,
    );
    await waitFor(() => ex.stats().web1!.waiting === 4, { what: '4 waiting requests' });
    expect(ex.stats().web1).toMatchObject({ connections: 1, channels: 2 });
    const started = (await Promise.all(runs)).map((r) => BigInt(r.stdout.trim()));
    expect(ex.stats().web1).toMatchObject({ opened: 1, peakChannels: 2, channels: 0, waiting: 0 });
    const order = started.map((t, i) => ({ t, i })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    const byStart = order.map((x) => x.i);
    expect(byStart.slice(0, 2).sort()).toEqual([0, 1]);
    expect(byStart.slice(4).sort()).toEqual([4, 5]);
    // Two at a time: the third start comes after the first command's 0.2 s sleep.
    expect(Number(order[2]!.t - order[0]!.t) / 1e6).toBeGreaterThanOrEqual(190);
  });

  it('grows to maxConnections under load, never beyond', async () => {
    const ex = executor({ maxConnections: 2, maxChannelsPerConnection: 2 });
    await Promise.all(Array.from({ length: 8 }, () => ex.exec('sleep', { args: ['0.2'], target: 'web1' }).result));
    expect(ex.stats().web1).toMatchObject({ opened: 2, peakChannels: 4 });
  });

  it('stops commands even when every channel slot is taken (the kill uses a control channel)', async () => {
    const ex = executor({ maxConnections: 1, maxChannelsPerConnection: 1 });
    const sleep = uniqueSleep();
    const handle = ex.exec('sleep', { args: [sleep], target: 'web1', timeout: 700 });
    expect(isFlowlaneError(await rejection(handle.result), 'FL_TIMEOUT')).toBe(true);
    const { stdout } = await ex.exec('ps', { args: ['-eo', 'stat=,args='], target: 'web1' }).result;
    expect(stdout.split('\n').filter((l) => l.includes(sleep) && !l.startsWith('Z'))).toEqual([]);
  });

  it('closes idle connections after idleTimeoutMs (the timer is cleared by new work)', async () => {
    const ex = executor({ idleTimeoutMs: 300 });
    const before = closed.length;
    await echo(ex, 'a'); // starts the idle timer…
    await ex.exec('sleep', { args: ['0.6'], target: 'web1' }).result; // …which this command clears
    expect(closed.length).toBe(before);
    expect(ex.stats().web1).toMatchObject({ opened: 1, connections: 1 });
    // The pool drops the connection when the timer fires; the closed event follows once the socket has closed.
    await waitFor(() => closed.slice(before).some((c) => c.reason === 'idle'), { what: 'idle close' });
    // (Other executors' late 'disposed' events may interleave; this one closed exactly once, for being idle.)
    expect(closed.slice(before).filter((c) => c.reason !== 'disposed')).toEqual([
      expect.objectContaining({ host: 'web1', reason: 'idle' }),
    ]);
    expect(ex.stats().web1!.connections).toBe(0);
    await echo(ex, 'c');
    expect(ex.stats().web1).toMatchObject({ opened: 2, connections: 1 });
  });

  it('reconnects after the connection drops; the command that was running fails with FL_SSH_CONNECTION_LOST', async () => {
    const ex = executor({ maxConnections: 1 });
    await echo(ex, 'warm');
    // $PPID of the command is the sshd process serving this connection: killing it drops the connection.
    const e = await rejection(ex.exec('sh', { args: ['-c', 'kill -KILL $PPID; sleep 5'], target: 'web1' }).result);
    expect(isSshExecutorError(e, 'FL_SSH_CONNECTION_LOST')).toBe(true);
    await waitFor(() => closed.some((c) => c.reason === 'lost'), { what: 'the lost connection event' });
    expect((await echo(ex, 'again')).stdout).toBe('again\n');
    expect(ex.stats().web1).toMatchObject({ opened: 2, connections: 1 });
  });

  it('fails queued requests with the connect error instead of retrying in a loop', async () => {
    const ex = executor({ port: 1, maxConnections: 1, maxChannelsPerConnection: 1 });
    const results = await Promise.all([1, 2, 3].map(() => rejection(echo(ex, 'x'))));
    for (const e of results) expect(isSshExecutorError(e, 'FL_SSH_CONNECTION_REFUSED')).toBe(true);
    expect(ex.stats().web1).toMatchObject({ opened: 0, connections: 0, waiting: 0 });
  });

  it('dispose() cancels a connection attempt in flight instead of waiting for it', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s)).resume(); // read (and ignore) so the client's close is seen
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const ex = executor({ port, connectTimeoutMs: 60_000 });
    const handle = ex.exec('true', { target: 'web1' });
    await waitFor(() => sockets.size === 1, { what: 'the connection attempt' });
    await ex.dispose();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);
    expect(ex.stats().web1).toMatchObject({ connections: 0, waiting: 0 });
    await waitFor(() => sockets.size === 0, { what: 'the socket to close' });
    await new Promise((r) => silent.close(r));
  });

  it('dispose() closes every connection', async () => {
    const ex = executor({ maxChannelsPerConnection: 1, maxConnections: 3 });
    await Promise.all([1, 2, 3].map(() => ex.exec('sleep', { args: ['0.1'], target: 'web1' }).result));
    expect(ex.stats().web1!.connections).toBe(3);
    await ex.dispose();
    expect(ex.stats().web1).toMatchObject({ connections: 0, channels: 0 });
    expect(closed.filter((c) => c.reason === 'disposed').length).toBeGreaterThanOrEqual(3);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshExecutor, type SshExecutor } from './ssh-executor.js';
import { startLeanSshd } from './ssh-test.test-helper.js';

// Commands that finish within a few milliseconds: sshd then sends the exec reply, output, exit status and close in
// one burst. (Regression: the exit status was read from an 'exit' event that could fire before listeners existed.)
let lean: Awaited<ReturnType<typeof startLeanSshd>>;
let ssh: SshExecutor;
let strict: Awaited<ReturnType<typeof startLeanSshd>>;
let closed: Awaited<ReturnType<typeof startLeanSshd>>;

beforeAll(async () => {
  lean = await startLeanSshd();
  strict = await startLeanSshd(['MaxSessions 3']);
  closed = await startLeanSshd(['MaxSessions 0']);
  ssh = createSshExecutor({ hosts: { fast: { ...lean.host, maxConnections: 2 } } });
}, 30_000);
afterAll(async () => {
  await ssh?.dispose();
  await lean?.stop();
  await strict?.stop();
  await closed?.stop();
}, 30_000);

const expectOutcome = async (i: number) => {
  const code = i % 3;
  const handle = ssh.exec('sh', { args: ['-c', `echo ${i}; exit ${code}`], target: 'fast', allowFailure: i % 2 === 0 });
  if (code !== 0 && i % 2 === 1) {
    const e = await handle.result.then(
      () => expect.unreachable(),
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ code: 'FL_EXEC_FAILED', details: { exitCode: code } });
  } else {
    expect(await handle.result).toMatchObject({ exitCode: code, signal: null, stdout: `${i}\n` });
  }
};

describe('fast commands', () => {
  it('adapt to a server that allows fewer sessions than maxChannelsPerConnection', async () => {
    const ex = createSshExecutor({
      hosts: { strict: { ...strict.host, maxConnections: 1, maxChannelsPerConnection: 8 } },
    });
    const outputs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => ex.exec('echo', { args: [String(i)], target: 'strict' }).result),
    );
    expect(outputs.map((r) => r.stdout)).toEqual(Array.from({ length: 40 }, (_, i) => `${i}\n`));
    expect(ex.stats().strict).toMatchObject({ opened: 1 });
    expect(ex.stats().strict!.peakChannels).toBeLessThanOrEqual(8);
    await ex.dispose();
  });

  it('report a server that refuses every session as FL_SSH_CHANNEL_FAILED, with the MaxSessions hint', async () => {
    const ex = createSshExecutor({ hosts: { closed: { ...closed.host, maxConnections: 1 } } });
    const error = await ex.exec('echo', { args: ['x'], target: 'closed' }).result.then(
      () => expect.unreachable(),
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'FL_SSH_CHANNEL_FAILED', details: { host: 'closed', kind: 'exec' } });
    expect(String((error as Error).message)).toContain('MaxSessions');
    expect(ex.stats().closed).toMatchObject({ opened: 1, channels: 0, waiting: 0 });
    await ex.dispose();
  });

  it('report every exit code, run one after another', async () => {
    for (let i = 0; i < 150; i++) await expectOutcome(i);
    expect(ssh.stats().fast!.opened).toBe(1);
  });

  it('report every exit code, 150 at once (2 connections × 8 channels)', async () => {
    await Promise.all(Array.from({ length: 150 }, (_, i) => expectOutcome(i)));
  });
});

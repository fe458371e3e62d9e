import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createEngine } from '../engine/engine.js';
import { isFlowlaneError } from '../errors.js';
import { createLocalExecutor } from './local-executor.js';

let dir: string;
const escapedPids: number[] = [];
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'flowlane-drain-')));
});
afterEach(() => {
  // The processes these tests make escape their group are killed here (the executor cannot know them all).
  for (const pid of escapedPids.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function pidFrom(file: string): Promise<number> {
  for (let k = 0; k < 200; k++) {
    try {
      const pid = Number((await readFile(file, 'utf8')).trim());
      if (pid > 0) {
        if (!escapedPids.includes(pid)) escapedPids.push(pid);
        // Once it is `sleep`, setsid has left the group (it calls setsid() before exec).
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep') return pid;
      }
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no pid in ${file}`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

// `setsid sleep` leaves the command's process group (and session) but keeps its stdout: the pipe never closes.
const escaping = (pidFile: string, then: string): string => `setsid sleep 60 & echo $! > ${pidFile}; ${then}`;

describe('a process that escaped the group holds the output pipes', () => {
  it('a command that exited settles after the drain with FL_EXEC_FAILED naming the escaped process', async () => {
    const ex = createLocalExecutor({ drainMs: 150 });
    const pidFile = join(dir, 'exited.pid');
    const run = ex.exec(escaping(pidFile, 'echo done'), { shell: true });
    const pid = await pidFrom(pidFile);
    const err = await run.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFlowlaneError(err, 'FL_EXEC_FAILED')).toBe(true);
    expect((err as Error).message).toContain(`pid ${pid} (sleep)`);
    expect((err as Error).message).toContain('still held its output open');
    expect(alive(pid)).toBe(true); // reported, not killed: it is outside what the executor owns
    await ex.dispose();
  });

  it('a background job inside the group is still waited for (not cut at the drain)', async () => {
    const ex = createLocalExecutor({ drainMs: 50 });
    const r = await ex.exec('(sleep 0.4; echo late) & echo early', { shell: true }).result;
    expect(r.stdout).toBe('early\nlate\n');
    await ex.dispose();
  });

  it('engine.close() settles after cancelling such a command', async () => {
    const engine = createEngine({ executors: { local: createLocalExecutor({ drainMs: 150 }) } });
    const pidFile = join(dir, 'cancelled.pid');
    const wf = workflow('escape')
      .addNode('cmd', (ctx) => ctx.exec(escaping(pidFile, 'sleep 60'), { shell: true }))
      .build();
    const run = engine.run(wf, {});
    const pid = await pidFrom(pidFile);
    run.cancel('stop');
    const r = await run.result;
    expect(r.status).toBe('cancelled');
    let settled = false;
    const closing = engine.close().then(() => {
      settled = true;
    });
    await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000))]);
    expect(settled).toBe(true);
    expect(alive(pid)).toBe(true);
  });
});

// `flowlane run --store` and `flowlane runs …` against a real Redis, with the run executing in another real process.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisService, startRedis } from '@flowlane/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, flowlane, flowlaneInPty, killLeftovers, start, waitFor } from './run-cli.test-helper.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

let redis: RedisService;
let tmp: string;
let n = 0;
beforeAll(async () => {
  redis = await startRedis();
  tmp = await mkdtemp(join(tmpdir(), 'flowlane-cli-runs-'));
});
afterAll(async () => {
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
});
afterEach(killLeftovers);

/** A fresh run of test/fixtures/durable.ts in its own `flowlane run --store` process, piped. */
function startDurable(id: string) {
  const k = ++n;
  const gate = join(tmp, `gate-${k}`);
  const pidFile = join(tmp, `hold-${k}.pid`);
  const runner = start(process.execPath, [
    BIN,
    'run',
    'test/fixtures/durable.ts',
    '--store',
    redis.url,
    '--id',
    id,
    '--input',
    JSON.stringify({ gate, pidFile }),
  ]);
  runner.child.stdin!.end();
  const holdPid = async (): Promise<number> => {
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the hold command');
    return Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  };
  return { runner, gate, holdPid, open: () => writeFileSync(gate, '') };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('flowlane run --store and flowlane runs', () => {
  it('list and show a run executing in another process; watch it live in a terminal until it succeeds', async () => {
    const d = startDurable('deploy-1');
    await d.holdPid();

    const listed = await flowlane(['runs', 'list', '--store', redis.url, '--status', 'running', '--json']);
    expect(listed.code).toBe(0);
    const { runs } = JSON.parse(listed.stdout) as { runs: { executionId: string; workflow: string; status: string }[] };
    expect(runs).toEqual([
      expect.objectContaining({ executionId: 'deploy-1', workflow: 'durable', status: 'running' }),
    ]);
    const other = await flowlane(['runs', 'list', '--store', redis.url, '--workflow', 'other']);
    expect(other).toMatchObject({ code: 0, stdout: 'No runs.\n' });
    const table = await flowlane(['runs', 'list', '--store', redis.url]);
    expect(table.stdout).toMatch(/^id +workflow +version +status +started +duration +owner\n/);
    expect(table.stdout).toMatch(/deploy-1 +durable +1 +running +\d{4}-\d\d-\d\dT/);

    const shown = await flowlane(['runs', 'show', 'deploy-1', '--store', redis.url]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/status +running/);
    expect(shown.stdout).toMatch(/prepare +success +1 +[\d.]+ s/);
    expect(shown.stdout).toMatch(/hold +running +1/);
    expect(shown.stdout).toMatch(/finish +waiting +0/);
    expect(shown.stdout).toMatch(/▶ durable started \(3 nodes\)/);

    const watcher = flowlaneInPty(['runs', 'watch', 'deploy-1', '--store', redis.url, '--interval', '50']);
    await waitFor(() => /hold +running/.test(watcher.output().stdout.replace(ANSI, '')), 'the watch view');
    const before = watcher.output().stdout.length;
    d.open();
    const w = await watcher.done;
    const r = await d.runner.done;
    expect(r.code).toBe(0);
    expect(w.code).toBe(0);
    // The view kept redrawing in place after the gate opened, and its last frame has every node settled.
    const after = w.stdout.slice(before);
    expect(after).toContain('\u001b[1A');
    const text = after.replace(ANSI, '');
    expect(text).toMatch(/completed in [\d.]+ s {2}· {2}3\/3 settled/);
    expect(text).toMatch(/✔ hold +success/);
    expect(text).toMatch(/durable \(deploy-1\): success/);

    const done = await flowlane(['runs', 'show', 'deploy-1', '--store', redis.url, '--json']);
    const { run, records } = JSON.parse(done.stdout) as {
      run: { status: string };
      records: { type: string; nodeId?: string }[];
    };
    expect(run.status).toBe('success');
    expect(records.filter((x) => x.type === 'node.completed').map((x) => x.nodeId)).toEqual([
      'prepare',
      'hold',
      'finish',
    ]);
  });

  it('cancel: the engine in the other process cancels its run and kills its command', async () => {
    const d = startDurable('deploy-2');
    const pid = await d.holdPid();
    expect(alive(pid)).toBe(true);
    const c = await flowlane(['runs', 'cancel', 'deploy-2', '--store', redis.url, '--reason', 'bad release']);
    expect(c.stderr).toBe('');
    expect(c.stdout).toBe('deploy-2 cancelled by the engine executing it.\n');
    expect(c.code).toBe(0);
    const r = await d.runner.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/durable: cancelled in/);
    expect(alive(pid)).toBe(false);
    const shown = await flowlane(['runs', 'show', 'deploy-2', '--store', redis.url]);
    expect(shown.stdout).toMatch(/status +cancelled/);
    expect(shown.stdout).toMatch(/reason +bad release/);
    // Again: already finished (exit 1).
    const again = await flowlane(['runs', 'cancel', 'deploy-2', '--store', redis.url]);
    expect(again.stdout).toBe('deploy-2 had already finished: cancelled.\n');
    expect(again.code).toBe(1);
  });

  it('resume after kill -9 of the running process: completed nodes are not run again', async () => {
    const d = startDurable('deploy-3');
    const hold = await d.holdPid();
    const firstPid = d.runner.child.pid!;
    process.kill(-firstPid, 'SIGKILL'); // the CLI process: a crash
    await d.runner.done;
    process.kill(hold, 'SIGKILL'); // its command (a process group of its own) outlived it: not part of this test
    d.open();
    const resumed = await flowlane(['runs', 'resume', 'deploy-3', 'test/fixtures/durable.ts', '--store', redis.url]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/durable: success in/);
    const shown = await flowlane(['runs', 'show', 'deploy-3', '--store', redis.url, '--json']);
    const { records } = JSON.parse(shown.stdout) as {
      records: { type: string; nodeId?: string; output?: unknown }[];
    };
    const completed = records.filter((x) => x.type === 'node.completed');
    expect(completed.map((x) => x.nodeId)).toEqual(['prepare', 'hold', 'finish']);
    // `finish` got `prepare`'s output from the log: computed by the killed process, not again by the resuming one.
    expect(completed[2]!.output).toBe(`prepared by ${firstPid}; gate opened`);
    expect(records.filter((x) => x.type === 'node.started' && x.nodeId === 'prepare')).toHaveLength(1);
    expect(records.some((x) => x.type === 'workflow.resumed')).toBe(true);
  });

  it('cancel of a run whose process died finishes it in the store', async () => {
    const d = startDurable('deploy-4');
    const hold = await d.holdPid();
    process.kill(-d.runner.child.pid!, 'SIGKILL');
    await d.runner.done;
    // The command runs in a process group of its own and outlived the crash: end it, as the test's cleanup.
    process.kill(hold, 'SIGKILL');
    const c = await flowlane(['runs', 'cancel', 'deploy-4', '--store', redis.url, '--wait', '0']);
    expect(c.stdout).toBe('deploy-4: no engine answered; cancelled in the store (its log is finished).\n');
    expect(c.code).toBe(0);
    const resumed = await flowlane([
      'runs',
      'resume',
      'deploy-4',
      '--file',
      'test/fixtures/durable.ts',
      '--store',
      redis.url,
    ]);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/FL_EXECUTION_FINISHED/);
  });

  it('bad input: no store, unknown run, unknown status; credentials in --store never printed', async () => {
    const none = await flowlane(['runs', 'list']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No execution store given[\s\S]*--store redis:\/\//);
    const unknown = await flowlane(['runs', 'show', 'nope', '--store', redis.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No run nope in the store/);
    const status = await flowlane(['runs', 'list', '--store', redis.url, '--status', 'done']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/Allowed choices are running, success, failed, cancelled/);
    const limit = await flowlane(['runs', 'list', '--store', redis.url, '--limit', '0']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/--limit 0 is not a count/);
    const http = await flowlane(['runs', 'list', '--store', 'http://ops:s3cret@example.org']);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/Only Redis stores are supported/);
    const down = await flowlane(['runs', 'list', '--store', 'redis://ops:s3cret@127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/FL_PLUGIN_SETUP_FAILED.*redis:\/\/ops:\*\*\*@127\.0\.0\.1:1 is unreachable/);
    for (const out of [http, down]) expect(out.stdout + out.stderr).not.toContain('s3cret');
  });
});

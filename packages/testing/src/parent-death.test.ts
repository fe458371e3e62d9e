import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isProcessAlive } from './process.js';
import { createTempDir, removeTempDir } from './temp-dir.js';

// A test process killed with SIGKILL runs no exit hook and no afterAll: its services must still stop. The harness
// is compiled from this checkout's sources into a private folder (dist/ may be mid-build), run in a child process
// that starts Redis, and the child is SIGKILLed.
const pkgDir = fileURLToPath(new URL('../', import.meta.url));
const outDir = join(pkgDir, 'node_modules', '.cache', `flowlane-parent-death-${process.pid}`);
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'flowlane-parent-death-'));
  const tsc = join(pkgDir, 'node_modules', '.bin', 'tsc');
  const flags = ['--composite', 'false', '--incremental', 'false', '--declaration', 'false', '--sourceMap', 'false'];
  const child = spawn(
    tsc,
    ['-p', join(pkgDir, 'tsconfig.json'), '--outDir', outDir, ...flags, '--declarationMap', 'false'],
    {
      stdio: 'inherit',
    },
  );
  const [code] = (await once(child, 'close')) as [number | null];
  expect(code).toBe(0);
}, 120_000);

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('a service outlives no test process', () => {
  it('stops when the process that started it is SIGKILLed; the next harness process removes its temp dir', async () => {
    const script = join(scratch, 'start-redis.mjs');
    await writeFile(
      script,
      `import { runningServiceProcesses, startRedis } from ${JSON.stringify(join(outDir, 'index.js'))};
const redis = await startRedis();
console.log(JSON.stringify({ pid: runningServiceProcesses()[0].pid, dir: redis.dir }));
`,
    );
    // A private temp base: other test processes running at the same time sweep orphaned dirs of the shared tmpdir
    // too (that is the point of the sweep), which would remove the killed process's dir before this test looks.
    const base = join(scratch, 'tmp');
    await mkdir(base);
    const child = spawn(process.execPath, [script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TMPDIR: base },
    });
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const { pid, dir } = JSON.parse(first) as { pid: number; dir: string };
    try {
      expect(isProcessAlive(pid)).toBe(true);
      expect(readFileSync(join(dir, '.flowlane-owner'), 'utf8')).toMatch(new RegExp(`^${child.pid} \\d+$`));
      child.kill('SIGKILL');
      await once(child, 'close');
      await vi.waitFor(() => expect(isProcessAlive(pid), `redis-server ${pid} still running`).toBe(false), {
        timeout: 10_000,
        interval: 50,
      });
      // Nothing ran in the killed process to remove its dir; the next temp dir this tmpdir gets sweeps it away.
      expect(existsSync(dir)).toBe(true);
      expect(dirname(dir)).toBe(base);
      const next = await createTempDir('parent-death', base);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(next)).toBe(true);
      await removeTempDir(next);
    } finally {
      if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  // playwright-core drives Chromium over a pipe (--remote-debugging-pipe): when the test process dies, the pipe
  // closes and the browser exits with all its helpers. This keeps that true.
  it('takes the browser of launchBrowser down with a SIGKILLed test process', async () => {
    const script = join(scratch, 'launch-browser.mjs');
    await writeFile(
      script,
      `import { launchBrowser } from ${JSON.stringify(join(outDir, 'index.js'))};
const chrome = await launchBrowser();
await chrome.newPage();
console.log(JSON.stringify({ profileDir: chrome.profileDir }));
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const { profileDir } = JSON.parse(first) as { profileDir: string };
    /** Processes whose command line names this browser's profile (the browser and its helpers). */
    const browserPids = (): number[] =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`--user-data-dir=${profileDir}`);
          } catch {
            return false;
          }
        })
        .map(Number);
    try {
      expect(browserPids().length).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await once(child, 'close');
      await vi.waitFor(() => expect(browserPids(), 'chromium still running').toEqual([]), {
        timeout: 15_000,
        interval: 100,
      });
    } finally {
      for (const pid of browserPids()) process.kill(pid, 'SIGKILL');
      await removeTempDir(profileDir);
    }
  }, 60_000);
});

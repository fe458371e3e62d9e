import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package directory (tests run the built `dist/bin.js`; turbo builds it before `test`). */
export const PKG = fileURLToPath(new URL('..', import.meta.url));
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const children = new Set<ChildProcess>();

/** Kills any CLI process a failed test left running (its own process group: script and everything under it). */
export function killLeftovers(): void {
  for (const c of children)
    if (c.exitCode === null && c.pid !== undefined)
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
  children.clear();
}

/** Starts a command in its own process group, collecting its output. */
export function start(
  command: string,
  args: readonly string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output(): Finished; done: Promise<Finished> } {
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const child = spawn(command, args, {
    cwd: PKG,
    env: { ...base, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const output = (): Finished => ({ code: child.exitCode, stdout, stderr });
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, output, done };
}

/** Runs `flowlane …` with pipes (not a terminal) and waits for it. */
export function flowlane(args: readonly string[], env?: Record<string, string>): Promise<Finished> {
  const p = start(process.execPath, [BIN, ...args], env);
  p.child.stdin!.end();
  return p.done;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `flowlane …` in a real pseudo-terminal (util-linux `script`), 120×40. stdin stays open: write `\x03` to it to
 * type Ctrl-C (the terminal's line discipline turns it into SIGINT for the foreground process group).
 */
export function flowlaneInPty(args: readonly string[]) {
  const cmd = `stty cols 120 rows 40; exec ${shellQuote(process.execPath)} ${[BIN, ...args].map(shellQuote).join(' ')}`;
  return start('script', ['-qfec', cmd, '/dev/null']);
}

/** Polls `check` every 20 ms until it holds, failing after `ms` with `what`. */
export async function waitFor(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

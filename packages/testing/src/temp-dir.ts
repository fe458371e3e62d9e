/* Internal: private temporary directories for services, removed on dispose. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { processIdentity } from './process.js';

const execFileAsync = promisify(execFile);

/** Names the process that owns a temp dir (`processIdentity`), so a later process can tell it is orphaned. */
const OWNER_FILE = '.flowlane-owner';
/** Base directories this process has already swept for orphans. */
const swept = new Map<string, Promise<void>>();

/**
 * Creates `<base>/flowlane-<service>-XXXXXX` (base defaults to `os.tmpdir()`), marked with this process's identity.
 * The first call per base directory first removes the dirs of harness processes that died without cleaning up (a
 * test process killed by SIGKILL or the OOM killer runs no exit hook), mounts included.
 */
export async function createTempDir(service: string, base = tmpdir()): Promise<string> {
  let sweep = swept.get(base);
  if (sweep === undefined) swept.set(base, (sweep = removeOrphans(base)));
  await sweep;
  const dir = await mkdtemp(join(base, `flowlane-${service}-`));
  const me = processIdentity(process.pid);
  if (me !== undefined) await writeFile(join(dir, OWNER_FILE), me);
  return dir;
}

/** Removes `flowlane-*` dirs in `base` whose owner process is gone. Dirs without an owner mark are left alone. */
async function removeOrphans(base: string): Promise<void> {
  if (processIdentity(process.pid) === undefined) return; // no /proc: owners cannot be told apart
  const names = await readdir(base).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith('flowlane-')) continue;
    const dir = join(base, name);
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
    if (owner === undefined) continue;
    const pid = Number(owner.split(' ')[0]);
    if (Number.isInteger(pid) && processIdentity(pid) === owner.trim()) continue; // still running
    await removeTempDir(dir).catch(() => undefined);
  }
}

/** Mount points at or under `dir`, deepest first (Linux only; empty elsewhere). */
function mountsUnder(dir: string): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  return table
    .split('\n')
    .map((line) =>
      (line.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(Number.parseInt(octal, 8)),
      ),
    )
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(dir + sep))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes `dir` recursively. Mounts a daemon left behind under it (dockerd killed mid-way) are lazily unmounted
 * first; transient EBUSY/ENOTEMPTY errors are retried.
 */
export async function removeTempDir(dir: string): Promise<void> {
  for (const mountPoint of mountsUnder(dir)) {
    await execFileAsync('umount', ['-l', mountPoint]).catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/* Internal: private temporary directories for services, removed on dispose. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Creates `<base>/flowlane-<service>-XXXXXX` (base defaults to `os.tmpdir()`). */
export function createTempDir(service: string, base = tmpdir()): Promise<string> {
  return mkdtemp(join(base, `flowlane-${service}-`));
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

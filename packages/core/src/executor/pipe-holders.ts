import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process that holds one of our pipes open. */
export interface PipeHolder {
  readonly pid: number;
  /** Its command name (`/proc/<pid>/comm`), when readable. */
  readonly name: string | undefined;
}

/**
 * Processes other than this one that hold the pipes behind `fds` (file descriptors of this process) open. Linux
 * only, best effort: reads `/proc`; returns an empty list elsewhere or when `/proc` cannot be read. Used when a
 * command exited but something it started outside its process group keeps its stdout/stderr open.
 *
 * @example
 * ```ts
 * pipeHolders([fdOfChildStdout]); // [{ pid: 4242, name: 'sleep' }]
 * ```
 */
export function pipeHolders(fds: readonly number[]): PipeHolder[] {
  const targets = new Set<string>();
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('pipe:')) targets.add(link);
    } catch {
      /* not on Linux, or fd closed */
    }
  }
  if (targets.size === 0) return [];
  const out: PipeHolder[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fdList: string[];
    try {
      fdList = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    const holds = fdList.some((fd) => {
      try {
        return targets.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let name: string | undefined;
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      name = undefined;
    }
    out.push({ pid: Number(pid), name });
  }
  return out;
}

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process that holds one of our pipes open. */
export interface PipeHolder {
  readonly pid: number;
  /** Its command name (`/proc/<pid>/comm`), when readable. */
  readonly name: string | undefined;
}

/**
 * Processes other than this one that hold the other end of the pipes behind `fds` (file descriptors of this
 * process) open. Linux only, best effort: reads `/proc`; returns an empty list elsewhere or when `/proc` cannot be
 * read. Used when a
 * command exited but something it started outside its process group keeps its stdout/stderr open.
 *
 * @example
 * ```ts fragment
 * pipeHolders([fdOfChildStdout]); // [{ pid: 4242, name: 'sleep' }]
 * ```
 */
export function pipeHolders(fds: readonly number[]): PipeHolder[] {
  const targets = new Set<string>();
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('pipe:'))
        targets.add(link); // both ends of a pipe share one inode
      else {
        // Node's stdio "pipes" are socketpairs: the child's end is the next socket inode after ours (libuv creates
        // the pair in one call). Best effort — the message that uses this says what it found, nothing depends on it.
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m !== null) targets.add(`socket:[${Number(m[1]) + 1}]`);
      }
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

/**
 * True while process group `pgid` has a member that is not a zombie. Zombies count for `kill(-pgid, 0)`, and where
 * nobody reaps orphans (a container without an init) they stay forever. Reads `/proc` on Linux; elsewhere falls
 * back to `kill(-pgid, 0)`.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return true;
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses: parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') return true;
  }
  return false;
}

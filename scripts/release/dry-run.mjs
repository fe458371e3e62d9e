#!/usr/bin/env node
// A release rehearsal on a throwaway copy of the repository (the working tree is never touched):
//   1. copy the tracked files (plus untracked, not ignored ones) to a temp dir, linking node_modules
//   2. `changeset version` + scripts/release/sync-versions.mjs  (= `pnpm version-packages`)
//   3. check: every public package got the same new version (the `fixed` group), a CHANGELOG.md entry for it, and
//      the consumed changesets are gone; version constants in src/ follow
//   4. build the copy (tsc -b) and `pnpm pack` every public package — what `pnpm -r publish` would upload
// Usage: node scripts/release/dry-run.mjs [--out DIR]   (DIR keeps the tarballs, e.g. for check-tarballs.mjs)
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { packPackages, publicPackages, repoRoot, workspacePackages } from './workspace.mjs';

const started = Date.now();
const outArg = process.argv.indexOf('--out');
const copy = mkdtempSync(join(tmpdir(), 'flowlane-release-'));
const keep = outArg > 0;
const out = keep ? resolve(process.argv[outArg + 1]) : join(copy, '.tarballs');
process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
const problems = [];
const sh = (cmd, args, cwd = copy) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// 1. the copy
const files = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repoRoot)
  .split('\0')
  .filter((f) => f && existsSync(join(repoRoot, f)));
for (const f of files) {
  mkdirSync(dirname(join(copy, f)), { recursive: true });
  cpSync(join(repoRoot, f), join(copy, f));
}
// node_modules are linked, not installed: each entry points at the original's package, except workspace packages,
// which point at their copies (pnpm pack reads the versions of `workspace:` dependencies through these links).
const copies = new Map(workspacePackages(copy).map((p) => [p.pkg.name, p.path]));
function linkModules(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry.startsWith('@')) {
      mkdirSync(join(to, entry), { recursive: true });
      for (const child of readdirSync(join(from, entry))) {
        const target = copies.get(`${entry}/${child}`) ?? realpathSync(join(from, entry, child));
        symlinkSync(target, join(to, entry, child));
      }
    } else symlinkSync(realpathSync(join(from, entry)), join(to, entry));
  }
}
for (const dir of ['.', ...workspacePackages().map((p) => p.dir)])
  if (existsSync(join(repoRoot, dir, 'node_modules')))
    linkModules(join(repoRoot, dir, 'node_modules'), join(copy, dir, 'node_modules'));

const before = new Map(publicPackages(copy).map((p) => [p.pkg.name, p.pkg.version]));
const pending = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');

// 2. version
try {
  sh('node', [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'version']);
  sh('node', [join(copy, 'scripts/release/sync-versions.mjs')]);
} catch (e) {
  console.error(`changeset version failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  process.exit(1);
}

// 3. what it did
const after = publicPackages(copy);
const versions = new Set(after.map((p) => p.pkg.version));
if (pending.length > 0 && versions.size !== 1)
  problems.push(`the fixed group split: ${after.map((p) => `${p.pkg.name}@${p.pkg.version}`).join(', ')}`);
for (const { dir, path, pkg } of after) {
  const old = before.get(pkg.name);
  if (pending.length === 0) break;
  if (old === pkg.version) problems.push(`${pkg.name} stayed at ${old}`);
  const log = existsSync(join(path, 'CHANGELOG.md')) ? readFileSync(join(path, 'CHANGELOG.md'), 'utf8') : '';
  if (!log.includes(`## ${pkg.version}`)) problems.push(`${dir}/CHANGELOG.md has no "## ${pkg.version}" entry`);
  const version = join(path, 'src/version.ts');
  if (existsSync(version) && !readFileSync(version, 'utf8').includes(`'${pkg.version}'`))
    problems.push(`${dir}/src/version.ts does not say ${pkg.version}`);
}
const left = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
if (left.length > 0) problems.push(`changesets not consumed: ${left.join(', ')}`);

// 4. build and pack
const tsconfig = join(copy, 'tsconfig.release.json');
writeFileSync(tsconfig, JSON.stringify({ files: [], references: after.map((p) => ({ path: p.path })) }));
try {
  sh(join(repoRoot, 'node_modules/.bin/tsc'), ['-b', tsconfig]);
} catch (e) {
  console.error(`build of the versioned copy failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
const tarballs = packPackages(
  after.map((p) => p.pkg.name),
  out,
  copy,
);
for (const { pkg } of after) {
  const manifest = JSON.parse(sh('tar', ['xzOf', tarballs[pkg.name], 'package/package.json']));
  for (const [name, range] of Object.entries(manifest.dependencies ?? {}))
    if (name.startsWith('@flowlane/') && range !== `^${pkg.version}`)
      problems.push(`${pkg.name}'s tarball depends on ${name}@${range}, expected ^${pkg.version}`);
  const peer = manifest.peerDependencies?.['@flowlane/core'];
  if (peer !== undefined && peer !== `>=${pkg.version} <1.0.0`)
    problems.push(`${pkg.name}'s tarball has peer @flowlane/core@${peer}, expected ">=${pkg.version} <1.0.0"`);
}

if (problems.length > 0) {
  console.error(`Release dry run problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const [first] = after;
console.log(
  `Release dry run: ${pending.length} changeset(s) → ${after.length} packages ${[...new Set(before.values())].join('/')} → ${first?.pkg.version}, ` +
    `CHANGELOGs written, ${Object.keys(tarballs).length} tarballs packed${keep ? ` into ${out}` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s).`,
);

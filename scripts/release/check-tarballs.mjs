#!/usr/bin/env node
// Lints what we publish, on the packed tarballs themselves (what a consumer downloads), not on the source tree:
//   - publint --strict          package.json fields, exports, files that exist, ESM/CJS format
//   - attw --profile esm-only   types resolve under node16 (ESM) and bundler resolution (ESM-only packages: CJS
//                               consumers use require(esm) on Node ≥ 20.19, which attw cannot model)
//   - our own checks: LICENSE inside, every source map and declaration map points at files inside the tarball,
//     no test files, no workspace:/catalog: specifiers left in package.json.
// Usage: node scripts/release/check-tarballs.mjs [dir-with-tarballs]   (without a dir: packs every public package)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { packPackages, publicPackages, repoRoot } from './workspace.mjs';

const run = promisify(execFile);
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);

const work = mkdtempSync(join(tmpdir(), 'flowlane-tarballs-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

let dir = process.argv[2] ? resolve(process.argv[2]) : undefined;
if (!dir) {
  dir = join(work, 'packed');
  packPackages(
    publicPackages().map((p) => p.pkg.name),
    dir,
  );
}
const tarballs = readdirSync(dir)
  .filter((f) => f.endsWith('.tgz'))
  .map((f) => join(dir, f));
if (tarballs.length === 0) {
  console.error(`No tarballs in ${dir}`);
  process.exit(1);
}

const filesUnder = (d) =>
  readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? filesUnder(join(d, f)) : [join(d, f)]));

/** Our own checks on an unpacked tarball; returns problems. */
function checkContents(root) {
  const problems = [];
  const files = filesUnder(root);
  const rel = (f) => relative(root, f);
  if (!existsSync(join(root, 'LICENSE'))) problems.push('LICENSE is not in the tarball (add it to "files")');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
    for (const [name, range] of Object.entries(pkg[field] ?? {}))
      if (/^(workspace|catalog):/.test(range)) problems.push(`${field}.${name} is still "${range}"`);
  for (const f of files) {
    if (/\.test(-d|-helper)?\.[cm]?[jt]s$/.test(f)) problems.push(`test file shipped: ${rel(f)}`);
    if (/\.(js|d\.ts)$/.test(f)) {
      const url = readFileSync(f, 'utf8').match(/\/\/# sourceMappingURL=(\S+)\s*$/)?.[1];
      if (url && !url.startsWith('data:') && !existsSync(resolve(dirname(f), url)))
        problems.push(`${rel(f)} names a map that is not shipped: ${url}`);
    }
    if (f.endsWith('.map')) {
      const map = JSON.parse(readFileSync(f, 'utf8'));
      for (const s of map.sources ?? []) {
        const target = resolve(dirname(f), map.sourceRoot ?? '', s);
        if (!target.startsWith(root) || !existsSync(target))
          problems.push(`${rel(f)} points at ${s}, which is not in the tarball`);
      }
    }
  }
  return problems;
}

async function checkTarball(tgz) {
  const name = tgz.slice(dir.length + 1);
  const problems = [];
  const unpacked = join(work, name.replace(/\.tgz$/, ''));
  await run('mkdir', ['-p', unpacked]);
  await run('tar', ['xzf', tgz, '-C', unpacked, '--strip-components=1']);
  problems.push(...checkContents(unpacked));
  const tools = [
    [bin('publint'), ['run', tgz, '--strict', '--pack', 'false']],
    [bin('attw'), [tgz, '--profile', 'esm-only', '--no-emoji', '--no-color', '--format', 'ascii']],
  ];
  for (const [cmd, args] of tools) {
    try {
      await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      problems.push(
        `${cmd.split('/').pop()} failed:\n${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim().replace(/^/gm, '      ')}`,
      );
    }
  }
  return { name, problems };
}

const started = Date.now();
const results = [];
const queue = [...tarballs];
await Promise.all(
  [0, 1].map(async () => {
    for (let t = queue.shift(); t; t = queue.shift()) results.push(await checkTarball(t));
  }),
);
const bad = results.filter((r) => r.problems.length > 0);
for (const r of results.sort((a, b) => a.name.localeCompare(b.name)))
  console.log(`${r.problems.length === 0 ? 'ok  ' : 'FAIL'} ${r.name}`);
if (bad.length > 0) {
  console.error(
    `\nTarball problems:\n${bad.map((r) => `  ${r.name}\n${r.problems.map((p) => `    - ${p}`).join('\n')}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  `${results.length} tarballs pass publint, attw and the content checks (${((Date.now() - started) / 1000).toFixed(1)} s).`,
);

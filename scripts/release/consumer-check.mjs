#!/usr/bin/env node
// A stranger's project, outside the repository: packs every public package (plus the third-party example plugin),
// creates a `"type": "module"` project in a temp dir, installs the tarballs with plain npm — and once more with
// pnpm (strict, isolated node_modules) — then
//   - type-checks consumer/app.ts plus an import of every public package with `tsc --strict`, module nodenext and
//     skipLibCheck false (so every shipped .d.ts is checked too),
//   - imports every public package at runtime,
//   - runs consumer/app.ts: a workflow with core, two plugins (scheduler-priority, middleware-logging) and the
//     third-party example plugin (flowlane-plugin-echo).
// Packages that depend on each other (executor-docker → artifacts) must resolve from the tarballs: the registry has
// no @flowlane packages, so an install that reached for it would fail.
// Usage: node scripts/release/consumer-check.mjs [--npm-only]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackages, publicPackages, repoRoot } from './workspace.mjs';

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'flowlane-consumer-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const step = (label, fn) => {
  const t = Date.now();
  const r = fn();
  console.log(`  ${label} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return r;
};
const sh = (cmd, args, cwd) => {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
  } catch (e) {
    console.error(`\n${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    process.exit(1);
  }
};

const names = publicPackages().map((p) => p.pkg.name);
const tarballs = step(`packed ${names.length} public packages + flowlane-plugin-echo`, () =>
  packPackages([...names, 'flowlane-plugin-echo'], join(work, 'tarballs')),
);
const rootPkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const typesNode =
  rootPkg.devDependencies['@types/node'] === 'catalog:' ? '^20.19.0' : rootPkg.devDependencies['@types/node'];
// Node 20: @kubernetes/client-node 2's undici 8 needs Node ≥ 22.19 — the override consumers on Node 20 need
// (plugins/executor-kubernetes/README.md, Compatibility).
const undici = '^7.16.0';

function project(dir) {
  mkdirSync(dir, { recursive: true });
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies, devDependencies: { '@types/node': typesNode }, overrides: { undici } }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          strict: true,
          skipLibCheck: false,
          outDir: 'out',
        },
        include: ['*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  copyFileSync(new URL('./consumer/app.ts', import.meta.url), join(dir, 'app.ts'));
  writeFileSync(
    join(dir, 'every-package.ts'),
    `${names.map((n, i) => `import * as p${i} from '${n}';`).join('\n')}\nexport const all: Record<string, object> = { ${names.map((n, i) => `'${n}': p${i}`).join(', ')} };\n`,
  );
  writeFileSync(
    join(dir, 'load-all.mjs'),
    `for (const n of ${JSON.stringify(names)}) await import(n);\nconsole.log('imported ${names.length} packages');\n`,
  );
}

function check(dir, label) {
  const tsc = join(repoRoot, 'node_modules/.bin/tsc');
  step(`${label}: tsc --strict (nodenext, skipLibCheck false)`, () => sh(tsc, ['-p', 'tsconfig.json'], dir));
  const loaded = step(`${label}: import every public package at runtime`, () => sh('node', ['load-all.mjs'], dir));
  console.log(`    ${loaded.trim()}`);
  const out = step(`${label}: ran app.ts`, () => sh('node', ['out/app.js'], dir));
  console.log(out.replace(/^/gm, '    ').trimEnd());
}

console.log(`Consumer check in ${work} (outside the repository), Node ${process.version}`);
const npmDir = join(work, 'npm');
project(npmDir);
step('npm install (tarballs + their registry dependencies)', () =>
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], npmDir),
);
check(npmDir, 'npm');

if (!process.argv.includes('--npm-only')) {
  const pnpmDir = join(work, 'pnpm');
  project(pnpmDir);
  // pnpm reads overrides and build-script approvals from pnpm-workspace.yaml; no dependency here needs its build.
  // Unlike npm, pnpm resolves a package's own @flowlane dependencies (executor-docker → artifacts) from the registry
  // even when the project lists the tarball: each is overridden to its tarball (getting-started.md says the same).
  // The build scripts the repository itself declines (pnpm 12 fails an install on an unapproved one), all declined.
  const noBuilds = [
    ...(
      readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8').match(/^allowBuilds:\n((?:[ \t]+.*\n?)+)/m)?.[1] ?? ''
    ).matchAll(/^\s+([^:\s]+):/gm),
  ]
    .map((m) => `  ${m[1]}: false\n`)
    .join('');
  const local = Object.entries(tarballs)
    .map(([n, f]) => `  '${n}': 'file:${f}'\n`)
    .join('');
  writeFileSync(
    join(pnpmDir, 'pnpm-workspace.yaml'),
    `overrides:\n  undici: '${undici}'\n${local}allowBuilds:\n${noBuilds}`,
  );
  step('pnpm install (strict node_modules)', () =>
    sh('pnpm', ['install', '--config.confirmModulesPurge=false'], pnpmDir),
  );
  check(pnpmDir, 'pnpm');
}
console.log(`Consumer check passed (${((Date.now() - started) / 1000).toFixed(1)} s).`);

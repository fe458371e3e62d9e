#!/usr/bin/env node
// Checks that every workspace package has the house shape (STYLE.md rules 1–2): plugin folder and package name
// agree, ESM with an exports map, engines, a README, and plugins take @flowlane/core as a peer dependency. Also: every
// @flowlane package a package's code, tests or tested docs import is declared in its package.json, so turbo builds it
// before that package's tests run (an undeclared one is found only when the build order happens to be right).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const problems = [];
const read = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
const dirs = (parent) =>
  existsSync(join(root, parent))
    ? readdirSync(join(root, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, parent, d.name, 'package.json')))
        .map((d) => `${parent}/${d.name}`)
    : [];

for (const dir of [...dirs('packages'), ...dirs('plugins')]) {
  const pkg = read(dir);
  const say = (msg) => problems.push(`${dir} (${pkg.name}): ${msg}`);
  if (pkg.type !== 'module') say('"type" must be "module"');
  if (pkg.sideEffects === undefined) say('"sideEffects" must be declared');
  if (!pkg.exports?.['.']?.types || !pkg.exports?.['.']?.default) say('exports["."] needs "types" and "default"');
  if (!pkg.exports?.['./package.json']) say('exports must include "./package.json"');
  if (!pkg.engines?.node) say('"engines.node" is missing');
  if (!existsSync(join(root, dir, 'README.md'))) say('README.md is missing');
  if (!pkg.private) publishShape(dir, pkg, say);
  if (dir.startsWith('plugins/')) {
    const folder = dir.slice('plugins/'.length);
    if (pkg.name !== `@flowlane/${folder}`) say(`package name must be "@flowlane/${folder}" to match its folder`);
    // A product plugin may carry a plain name (DESIGN.md §1): `monitor`, `alerting`.
    if (
      !/^(executor|scheduler|middleware|secrets|audit|permissions|metrics|store|queue|monitor|tracing)-[a-z0-9-]+$/.test(
        folder,
      ) &&
      !/^(monitor|alerting)$/.test(folder)
    )
      say('folder must be <kind>-<name> with a known kind, or a product name (monitor, alerting)');
    if (pkg.dependencies?.['@flowlane/core']) say('@flowlane/core must be a peerDependency, never a dependency');
    if (!pkg.peerDependencies?.['@flowlane/core']) say('@flowlane/core must be a peerDependency');
    if (!pkg.keywords?.includes('flowlane-plugin')) say('keywords must include "flowlane" and "flowlane-plugin"');
  }
}
/**
 * What a published package needs (docs/contributing.md, "What a public package must contain"): the root LICENSE
 * copied in and shipped, the metadata npm shows, and `files` that ship `src/` so the source and declaration maps in
 * `dist/` point at files that exist. The tarballs themselves are checked by scripts/release/check-tarballs.mjs.
 */
function publishShape(dir, pkg, say) {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const fix = ' (copy the fields from packages/core/package.json; see docs/contributing.md)';
  if (!existsSync(join(root, dir, 'LICENSE'))) say(`LICENSE is missing: cp LICENSE ${dir}/LICENSE`);
  else if (readFileSync(join(root, dir, 'LICENSE'), 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8'))
    say(`LICENSE differs from the root LICENSE: cp LICENSE ${dir}/LICENSE`);
  if (pkg.license !== rootPkg.license) say(`"license" must be "${rootPkg.license}"`);
  for (const field of ['description', 'author', 'homepage']) if (!pkg[field]) say(`"${field}" is missing${fix}`);
  if (pkg.repository?.url !== rootPkg.repository?.url || pkg.repository?.directory !== dir)
    say(`"repository" must be { "type": "git", "url": "${rootPkg.repository?.url}", "directory": "${dir}" }`);
  if (!pkg.bugs?.url) say(`"bugs.url" is missing${fix}`);
  if (!Array.isArray(pkg.keywords) || !pkg.keywords.includes('flowlane')) say('"keywords" must include "flowlane"');
  const files = pkg.files ?? [];
  for (const f of ['dist', 'src', 'LICENSE', 'README.md', '!src/**/*.test.ts'])
    if (!files.includes(f)) say(`"files" must include "${f}"${fix}`);
  const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8')).version;
  const peer = pkg.peerDependencies?.['@flowlane/core'];
  if (peer !== undefined && peer !== `workspace:>=${core} <1.0.0`)
    say(`peerDependencies["@flowlane/core"] must be "workspace:>=${core} <1.0.0" (docs/contributing.md, "Releasing")`);
  if (!existsSync(join(root, dir, 'etc', `${pkg.name.split('/').pop()}.api.md`)))
    say(`etc/${pkg.name.split('/').pop()}.api.md (API report) is missing: run pnpm api:update`);
}

/** Files under `dir` (recursively) whose names match `re`, skipping node_modules and dist. */
const filesUnder = (dir, re) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
        if (d.isDirectory())
          return d.name === 'node_modules' || d.name === 'dist' ? [] : filesUnder(join(dir, d.name), re);
        return re.test(d.name) ? [join(dir, d.name)] : [];
      })
    : [];
const flowlaneImports = (text) =>
  [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](@flowlane\/[a-z0-9-]+)(?:\/[^'"]*)?['"]/g)].map((m) => m[1]);

for (const dir of [...dirs('packages'), ...dirs('plugins'), ...dirs('examples')]) {
  const pkg = read(dir);
  const declared = new Set(
    [pkg.dependencies, pkg.devDependencies, pkg.peerDependencies].flatMap((d) => Object.keys(d ?? {})),
  );
  const used = new Map(); // import → first file that uses it
  for (const file of filesUnder(join(root, dir, 'src'), /\.(m?ts|m?js)$/)) {
    const text = readFileSync(file, 'utf8');
    // Imports in comments (JSDoc @example) are documentation, not dependencies.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const sources = [[file, code]];
    // Markdown that a test runs as code (docSnippetsSuite and friends), named as a '….md' path literal.
    if (/\.test\.m?ts$/.test(file))
      for (const m of text.matchAll(/['"]([^'"\n]+\.md)['"]/g)) {
        const md = resolve(dirname(file), m[1]);
        if (existsSync(md)) sources.push([md, readFileSync(md, 'utf8')]);
      }
    for (const [from, content] of sources)
      for (const name of flowlaneImports(content)) if (!used.has(name)) used.set(name, from);
  }
  for (const [name, from] of used)
    if (name !== pkg.name && !declared.has(name))
      problems.push(
        `${dir} (${pkg.name}): imports ${name} (in ${from.slice(root.length)}) without declaring it in package.json`,
      );
}

if (problems.length > 0) {
  console.error(`Package shape problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('All packages have the expected shape.');

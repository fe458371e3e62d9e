#!/usr/bin/env node
// Docs that compile: every ```ts block of README.md, docs/**/*.md and every workspace package's README is
// type-checked (strict, module nodenext) against the BUILT packages, the way a reader would paste it into a project.
// A block that is deliberately not a complete program is marked as such with the info string ```ts fragment
// (it is then neither type-checked nor run by the docs-snippet tests). Errors point at the markdown line.
// Usage: node scripts/release/check-docs.mjs   (after pnpm build)
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot, workspacePackages } from './workspace.mjs';

const started = Date.now();
const mdUnder = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? mdUnder(join(dir, d.name)) : d.name.endsWith('.md') ? [join(dir, d.name)] : [],
      )
    : [];
const packages = workspacePackages();
const docs = [
  join(repoRoot, 'README.md'),
  ...mdUnder(join(repoRoot, 'docs')),
  ...packages.map((p) => join(p.path, 'README.md')).filter(existsSync),
];

const work = mkdtempSync(join(tmpdir(), 'flowlane-docs-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const snippets = [];
let fragments = 0;
const strayInfo = [];
for (const doc of docs) {
  const lines = readFileSync(doc, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(ts|typescript)(?:\s+(.*))?$/);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    const info = open[2]?.trim();
    if (info === 'fragment') fragments++;
    else if (info)
      strayInfo.push(
        `${relative(repoRoot, doc)}:${i + 1}: unknown info string "${info}" (use \`\`\`ts or \`\`\`ts fragment)`,
      );
    else {
      const file = `${relative(repoRoot, doc).replace(/[^a-zA-Z0-9]+/g, '_')}_${i + 1}.ts`;
      snippets.push({ doc, line: i + 1, file });
      writeFileSync(join(work, file), `${lines.slice(i + 1, end).join('\n')}\nexport {};\n`);
    }
    i = end;
  }
}

// The reader's project: the built workspace packages under their names, and the third-party packages the snippets
// import from wherever the workspace installed them.
const modules = join(work, 'node_modules');
mkdirSync(join(modules, '@types'), { recursive: true });
const linked = new Set();
const link = (name, target) => {
  if (linked.has(name)) return;
  linked.add(name);
  mkdirSync(join(modules, name, '..'), { recursive: true });
  symlinkSync(target, join(modules, name));
};
for (const p of packages) link(p.pkg.name, p.path);
const searchDirs = [repoRoot, ...packages.map((p) => p.path)].map((d) => join(d, 'node_modules'));
const bare = new Set(['@types/node']);
for (const s of snippets)
  for (const m of readFileSync(join(work, s.file), 'utf8').matchAll(
    /(?:from\s+|import\s*\(\s*)['"]([^'".][^'"]*)['"]/g,
  ))
    if (!m[1].startsWith('node:'))
      bare.add(m[1].startsWith('@') ? m[1].split('/').slice(0, 2).join('/') : m[1].split('/')[0]);
for (const name of bare) {
  if (linked.has(name)) continue;
  const found = searchDirs.map((d) => join(d, name)).find(existsSync);
  if (found) link(name, found);
}
writeFileSync(join(work, 'package.json'), '{ "type": "module", "private": true }\n');
writeFileSync(
  join(work, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true, // the shipped declarations are checked without it by consumer-check.mjs
      experimentalDecorators: true, // docs/plugins.md's DI example (a plugin that uses DI needs it; the docs say so)
      emitDecoratorMetadata: true,
    },
    include: ['*.ts'],
  }),
);

let output = '';
try {
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
} catch (e) {
  output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
}
const byFile = new Map(snippets.map((s) => [s.file, s]));
const errors = output
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const m = line.match(/^([^(]+)\((\d+),(\d+)\): (.*)$/);
    const s = m && byFile.get(m[1]);
    return s ? `${relative(repoRoot, s.doc)}:${s.line + Number(m[2])}:${m[3]}: ${m[4]}` : line;
  });
if (errors.length > 0 || strayInfo.length > 0) {
  console.error(`Docs that do not compile:\n${[...strayInfo, ...errors].map((e) => `  ${e}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `${snippets.length} \`\`\`ts blocks in ${docs.length} markdown files type-check against the built packages ` +
    `(${fragments} marked \`\`\`ts fragment) (${((Date.now() - started) / 1000).toFixed(1)} s).`,
);

#!/usr/bin/env node
// Docs that compile: every ```ts block of README.md, docs/**/*.md and every workspace package's README, and every
// ```ts block of a JSDoc comment in a workspace package's src/**/*.ts (not tests or *.test-helper.ts: the examples a
// reader sees in the editor's hover), is type-checked (strict, module nodenext) against the BUILT packages, the way a
// reader would paste it into a project. A block that is deliberately not a complete program is marked as such with
// the info string ```ts fragment (it is then neither type-checked nor run by the docs-snippet tests). Errors point at
// the markdown or source line.
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
import { jsdocLines } from './jsdoc-lines.mjs';
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
// Sources whose JSDoc is shipped: src/**/*.ts without tests, type tests and test helpers.
const TEST_FILE = /\.(test|test-d)\.ts$|\.test-helper\.ts$/;
const tsUnder = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory()
          ? tsUnder(join(dir, d.name))
          : d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') && !TEST_FILE.test(d.name)
            ? [join(dir, d.name)]
            : [],
      )
    : [];
const sources = packages.flatMap((p) => tsUnder(join(p.path, 'src')));

const work = mkdtempSync(join(tmpdir(), 'flowlane-docs-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const snippets = [];
const fragments = { markdown: 0, jsdoc: 0 };
const strayInfo = [];
/**
 * Collects the ```ts blocks of `doc`, given as its lines with any comment prefix already stripped (same line numbers);
 * a line that is `\0` (outside a comment) ends an open block, which is then reported as not closed.
 */
const collect = (doc, kind, lines) => {
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(ts|typescript)(?:\s+(.*))?$/);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```' && lines[end] !== '\0') end++;
    const info = open[2]?.trim();
    const at = `${relative(repoRoot, doc)}:${i + 1}`;
    if (lines[end] !== '```') strayInfo.push(`${at}: the \`\`\`ts block is not closed`);
    else if (info === 'fragment') fragments[kind]++;
    else if (info) strayInfo.push(`${at}: unknown info string "${info}" (use \`\`\`ts or \`\`\`ts fragment)`);
    else {
      const file = `${relative(repoRoot, doc).replace(/[^a-zA-Z0-9]+/g, '_')}_${i + 1}.ts`;
      snippets.push({ doc, kind, line: i + 1, file });
      writeFileSync(join(work, file), `${lines.slice(i + 1, end).join('\n')}\nexport {};\n`);
    }
    i = end;
  }
};
for (const doc of docs) collect(doc, 'markdown', readFileSync(doc, 'utf8').split('\n'));
for (const src of sources) {
  const text = readFileSync(src, 'utf8');
  if (!text.includes('```')) continue;
  collect(src, 'jsdoc', jsdocLines(text));
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
// A package's own types, or its DefinitelyTyped package (`dockerode` → `@types/dockerode`), as the reader installs.
for (const name of [...bare].flatMap((n) => [n, `@types/${n.replace(/^@/, '').replace('/', '__')}`])) {
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
const count = (kind) => snippets.filter((s) => s.kind === kind).length;
const withBlocks = new Set(snippets.filter((s) => s.kind === 'jsdoc').map((s) => s.doc)).size;
console.log(
  `${snippets.length} \`\`\`ts blocks type-check against the built packages: ` +
    `${count('markdown')} in ${docs.length} markdown files (${fragments.markdown} more marked \`\`\`ts fragment), ` +
    `${count('jsdoc')} in JSDoc of ${withBlocks} of ${sources.length} source files ` +
    `(${fragments.jsdoc} more marked \`\`\`ts fragment) (${((Date.now() - started) / 1000).toFixed(1)} s).`,
);

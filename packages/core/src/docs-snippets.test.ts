import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { jsdocLines } from '../../../scripts/release/jsdoc-lines.mjs';

// Every ```ts block of the docs that imports @flowlane/core is a complete program: run each one against the source.
// So is every JSDoc ```ts block of core's own sources that imports nothing but @flowlane/core (and node: built-ins)
// and declares nothing (`declare const engine: Engine` stands for context the reader has; such blocks are only
// type-checked, by scripts/release/check-docs.mjs).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = fileURLToPath(new URL('./', import.meta.url));
const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
const out = fileURLToPath(new URL('../.snippets/', import.meta.url));
const docs = [
  'README.md',
  'docs/builder.md',
  'docs/getting-started.md',
  'docs/triggers.md',
  'docs/flow-control.md',
  'packages/core/README.md',
];

/** An import of another Flowlane package (core's tests cannot resolve them). */
const OTHER_PACKAGE = /from '@flowlane\/(?!core')/;

const snippets = docs.flatMap((doc) => {
  let text: string;
  try {
    text = readFileSync(join(root, doc), 'utf8');
  } catch {
    return [];
  }
  return (
    [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      // Blocks that also need a plugin package run in that package's own snippet suite.
      .filter((code) => code.includes("from '@flowlane/core'") && !OTHER_PACKAGE.test(code))
      .map((code, i) => ({
        name: `${doc}#${i + 1}`,
        code: code.replaceAll("from '@flowlane/core'", `from '${entry}'`),
      }))
  );
});

/** The JSDoc ```ts blocks of one source file (the leading ` * ` stripped), with the line each starts on. */
function jsdocBlocks(file: string): { line: number; code: string }[] {
  const lines = jsdocLines(readFileSync(file, 'utf8'));
  const blocks: { line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.findIndex((l, k) => k > i && (l === '```' || l === '\0'));
    if (end < 0 || lines[end] !== '```') continue; // check-docs reports it
    blocks.push({ line: i + 1, code: `${lines.slice(i + 1, end).join('\n')}\n` });
    i = end;
  }
  return blocks;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? sourceFiles(join(dir, d.name))
      : /(?<!\.test|\.test-d|\.test-helper)\.ts$/.test(d.name)
        ? [join(dir, d.name)]
        : [],
  );

const jsdocSnippets = sourceFiles(src).flatMap((file) =>
  jsdocBlocks(file)
    .filter(
      ({ code }) =>
        code.includes("from '@flowlane/core'") &&
        [...code.matchAll(/from '([^']+)'/g)].every((m) => m[1] === '@flowlane/core' || m[1]!.startsWith('node:')) &&
        !/^declare /m.test(code),
    )
    .map(({ line, code }) => ({
      name: `packages/core/src/${relative(src, file)}:${line}`,
      code: code.replaceAll("from '@flowlane/core'", `from '${entry}'`),
    })),
);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('documentation snippets run', () => {
  it('finds snippets in README.md and docs/builder.md', () => {
    expect(snippets.filter((s) => s.name.startsWith('README.md')).length).toBeGreaterThan(0);
    expect(snippets.filter((s) => s.name.startsWith('docs/builder.md')).length).toBeGreaterThan(3);
  });
  it("finds core's runnable JSDoc examples", () => {
    expect(jsdocSnippets.length).toBeGreaterThan(20);
  });
  for (const [k, s] of [...snippets, ...jsdocSnippets].entries()) {
    it(s.name, async () => {
      mkdirSync(out, { recursive: true });
      const file = join(out, `snippet-${k}.ts`);
      writeFileSync(file, `${s.code}\nexport {};\n`);
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await import(/* @vite-ignore */ file);
      } finally {
        log.mockRestore();
      }
    }, 30_000); // the first import transforms core's whole source: seconds on a loaded machine
  }
});

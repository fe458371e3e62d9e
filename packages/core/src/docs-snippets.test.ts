import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Every ```ts block of the docs that imports @flowlane/core is a complete program: run each one against the source.
const root = fileURLToPath(new URL('../../../', import.meta.url));
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

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('documentation snippets run', () => {
  it('finds snippets in README.md and docs/builder.md', () => {
    expect(snippets.filter((s) => s.name.startsWith('README.md')).length).toBeGreaterThan(0);
    expect(snippets.filter((s) => s.name.startsWith('docs/builder.md')).length).toBeGreaterThan(3);
  });
  for (const [k, s] of snippets.entries()) {
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
    });
  }
});

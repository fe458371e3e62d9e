import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { format } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';

/** Options of {@link docSnippetsSuite}. */
export interface DocSnippetsOptions {
  /** Markdown files (absolute paths) whose ```ts blocks are checked. */
  readonly docs: readonly string[];
  /**
   * Module specifiers to point at local sources: a block runs only if it imports one of them, e.g.
   * `{ '@flowlane/scheduler-priority': '/abs/path/src/index.ts' }`.
   */
  readonly imports: Readonly<Record<string, string>>;
  /** Where to write the snippet files (removed afterwards). Default: `.snippets/` beside the first doc. */
  readonly outDir?: string | undefined;
  /** At least this many runnable snippets must be found. Default 1. */
  readonly minSnippets?: number | undefined;
  /**
   * Check printed output: a line `console.log(x); // expected` must print exactly `expected` (text after " — " is
   * an explanation and ignored). Default true.
   */
  readonly checkOutput?: boolean | undefined;
}

/**
 * Registers a vitest suite that runs every ```ts block of the given docs that imports one of `imports` as a complete
 * program (docs show runnable examples), and checks `// expected output` comments after `console.log` calls.
 *
 * @example
 * ```ts
 * import { fileURLToPath } from 'node:url';
 * import { docSnippetsSuite } from '@flowlane/testing';
 * docSnippetsSuite({
 *   docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
 *   imports: { '@flowlane/scheduler-priority': fileURLToPath(new URL('./index.ts', import.meta.url)) },
 * });
 * ```
 */
export function docSnippetsSuite(options: DocSnippetsOptions): void {
  const specifiers = Object.keys(options.imports);
  const out = options.outDir ?? join(dirname(options.docs[0] ?? process.cwd()), '.snippets');
  const snippets = options.docs.flatMap((doc) =>
    [...readFileSync(doc, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .filter((code) => specifiers.some((s) => code.includes(`from '${s}'`)))
      .map((code, i) => {
        let runnable = code;
        for (const [s, path] of Object.entries(options.imports))
          runnable = runnable.replaceAll(`from '${s}'`, `from '${path}'`);
        return { name: `${basename(doc)} #${i + 1}`, code, runnable };
      }),
  );

  describe('documentation snippets run', () => {
    afterAll(() => rmSync(out, { recursive: true, force: true }));
    it(`finds at least ${options.minSnippets ?? 1} runnable snippet(s)`, () => {
      expect(snippets.length).toBeGreaterThanOrEqual(options.minSnippets ?? 1);
    });
    for (const [k, s] of snippets.entries()) {
      it(s.name, async () => {
        mkdirSync(out, { recursive: true });
        const file = join(out, `snippet-${k}.ts`);
        writeFileSync(file, `${s.runnable}\nexport {};\n`);
        const lines: string[] = [];
        const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(format(...a)));
        try {
          await import(/* @vite-ignore */ file);
        } finally {
          log.mockRestore();
        }
        if (options.checkOutput === false) return;
        const expected = [...s.code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!.split(' — ')[0]);
        if (expected.length > 0) expect(lines).toEqual(expected);
      });
    }
  });
}

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Every ```ts block of the README that imports this package is a complete program: run it against the source.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
const out = fileURLToPath(new URL('../.snippets/', import.meta.url));
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => code.includes("from '@flowlane/scheduler-load-based'"))
  .map((code) => code.replaceAll("from '@flowlane/scheduler-load-based'", `from '${entry}'`));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('README snippets run', () => {
  it('has snippets', () => expect(snippets.length).toBeGreaterThanOrEqual(1));
  for (const [k, code] of snippets.entries()) {
    it(`snippet ${k + 1}`, async () => {
      mkdirSync(out, { recursive: true });
      const file = `${out}snippet-${k}.ts`;
      writeFileSync(file, `${code}\nexport {};\n`);
      const lines: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(format(...a)));
      try {
        await import(/* @vite-ignore */ file);
      } finally {
        log.mockRestore();
      }
      // `console.log(x); // output` — the printed line must equal the comment (up to a " — explanation").
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!.split(' — ')[0]);
      expect(lines).toEqual(expected);
    });
  }
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

/**
 * Core's import graph, read by dependency-cruiser (with the swc parser, so it needs no TypeScript compiler API and sees
 * type-only imports too): every cycle must be in `import-cycles.allowed.json`, and every entry there must still be a
 * cycle. New cycles fail; breaking one fails until its entry is deleted, so the list only shrinks (goal: empty).
 */
const coreDir = fileURLToPath(new URL('..', import.meta.url));
/** The same configuration `pnpm exec depcruise src` uses (rule and parser options). */
const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as IConfiguration;
const allowed = (
  JSON.parse(readFileSync(new URL('../import-cycles.allowed.json', import.meta.url), 'utf8')) as {
    cycles: { cycle: string }[];
  }
).cycles.map((c) => c.cycle);

/** A cycle as `a → b → … → a`, starting at its alphabetically first file, in import order. */
const canonical = (path: readonly string[]): string => {
  let start = 0;
  for (let i = 1; i < path.length; i++) if (path[i]! < path[start]!) start = i;
  const rotated = [...path.slice(start), ...path.slice(0, start)];
  return [...rotated, rotated[0]].join(' → ');
};

async function importCycles(): Promise<string[]> {
  const result = await cruise(['src'], {
    ...config.options,
    baseDir: coreDir,
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
  });
  const output = result.output;
  if (typeof output === 'string') throw new Error('dependency-cruiser returned a report instead of a result');
  if (output.summary.totalCruised < 30) throw new Error(`only ${output.summary.totalCruised} modules cruised`);
  const cycles = new Set<string>();
  for (const v of output.summary.violations)
    if (v.rule.name === 'no-circular' && v.cycle !== undefined)
      // `cycle` lists the files after `from`, ending with `from` itself.
      cycles.add(canonical(v.cycle.map((step) => step.name)));
  return [...cycles].sort();
}

describe('core import graph', () => {
  it('has no import cycle beyond import-cycles.allowed.json, and every listed cycle still exists', async () => {
    const found = await importCycles();
    const added = found.filter((c) => !allowed.includes(c));
    const gone = allowed.filter((c) => !found.includes(c));
    expect({ newCycles: added, brokenCyclesStillListed: gone }).toEqual({ newCycles: [], brokenCyclesStillListed: [] });
  }, 30_000);
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from './scenarios.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('scenario list', () => {
  it('has one package script per scenario, and no script for a missing one', () => {
    for (const s of SCENARIOS) expect(pkg.scripts[s.name]).toBe(`tsx src/cli.ts ${s.name}`);
    const cliScripts = Object.entries(pkg.scripts).filter(([, cmd]) => cmd.startsWith('tsx src/cli.ts '));
    expect(cliScripts.map(([name]) => name).sort()).toEqual([...SCENARIOS.map((s) => s.name), 'scenarios'].sort());
  });

  it('documents every scenario’s command in the README', () => {
    for (const s of SCENARIOS) expect(readme).toContain(`pnpm --filter @flowlane/examples run ${s.name}`);
  });
});

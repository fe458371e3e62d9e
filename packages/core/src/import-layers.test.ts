import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

/**
 * Core's layers, read by dependency-cruiser like `import-cycles.test.ts` does: contracts (`contracts/`,
 * `plugin/contracts/`) → builder → compile → engine, each importing only the layers before it. The rules are the
 * `forbidden` entries of `.dependency-cruiser.cjs` other than `no-circular` (also run by `pnpm exec depcruise src`).
 */
const coreDir = fileURLToPath(new URL('..', import.meta.url));
const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as IConfiguration;
const layerRules = (config.forbidden ?? []).filter((r) => r.name !== 'no-circular');

describe('core layers', () => {
  it('has layer rules for contracts, builder and compile', () => {
    expect(layerRules.map((r) => r.name)).toEqual([
      'contracts-import-only-contracts',
      'builder-not-to-compile-or-engine',
      'compile-not-to-engine',
    ]);
  });

  it('no import goes against the layers', async () => {
    const result = await cruise(['src'], {
      ...config.options,
      baseDir: coreDir,
      validate: true,
      ruleSet: { forbidden: layerRules },
    });
    const output = result.output;
    if (typeof output === 'string') throw new Error('dependency-cruiser returned a report instead of a result');
    if (output.summary.totalCruised < 30) throw new Error(`only ${output.summary.totalCruised} modules cruised`);
    const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(violations).toEqual([]);
  }, 30_000);
});

// Core's import graph, for src/import-cycles.test.ts and by hand: `pnpm exec depcruise src` (from packages/core).
// The swc parser needs no TypeScript compiler API (TypeScript 7 has none); tsPreCompilationDeps keeps type-only
// imports, which are cycles between layers too.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Core is layered one way (contracts → builder → compile → engine); see import-cycles.allowed.json.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    // The layers, one rule each (src/import-layers.test.ts): a layer imports only the layers before it.
    {
      name: 'contracts-import-only-contracts',
      comment:
        'contracts/ and plugin/contracts/ (descriptions, events, run shapes, the plugin API) are the bottom layer: they import each other and errors.ts, nothing else of core.',
      severity: 'error',
      from: { path: '^src/(contracts|plugin/contracts)/' },
      to: { path: '^src/', pathNot: '^src/((contracts|plugin/contracts)/|errors\\.ts$)' },
    },
    {
      name: 'builder-not-to-compile-or-engine',
      comment: 'The builder (and build()) needs neither the operators of compile/ nor the engine.',
      severity: 'error',
      from: { path: '^src/builder/' },
      to: { path: '^src/(compile|engine)/' },
    },
    {
      name: 'compile-not-to-engine',
      comment:
        'compile/ (operators, node plans) declares what it needs from the engine (e.g. PlanServices) instead of importing it.',
      severity: 'error',
      from: { path: '^src/compile/' },
      to: { path: '^src/engine/' },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    exclude: { path: '\\.test(-d)?\\.ts$|\\.test-helper\\.ts$' },
    doNotFollow: { path: 'node_modules' },
  },
};

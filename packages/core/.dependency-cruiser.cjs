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
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    exclude: { path: '\\.test(-d)?\\.ts$|\\.test-helper\\.ts$' },
    doNotFollow: { path: 'node_modules' },
  },
};

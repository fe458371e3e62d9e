// `tsx src/cli.ts <scenario>|all`: what the package scripts (`pnpm --filter @flowlane/examples run <scenario>`) call.
import { SCENARIOS } from './scenarios.js';

const name = process.argv[2];
const chosen = name === 'all' ? SCENARIOS : SCENARIOS.filter((s) => s.name === name);
if (chosen.length === 0) {
  console.error(`Unknown scenario ${JSON.stringify(name)}. Choose one of:`);
  for (const s of SCENARIOS) console.error(`  ${s.name.padEnd(20)} ${s.summary}`);
  console.error(`  ${'all'.padEnd(20)} every scenario in turn`);
  process.exitCode = 2;
} else {
  for (const s of chosen) {
    console.log(`\n=== ${s.name}: ${s.summary}`);
    await s.main();
  }
}

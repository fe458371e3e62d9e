#!/usr/bin/env node
// Prints, last, which vitest tests failed in a turbo run, read from each package's `.turbo/turbo-test.log`.
//
// A CI log is often read only from its tail, where turbo's interleaved output of several packages leaves a failed
// test's name and error far above. .ci/run calls this after a failed test step, so the last lines name the failures.
// Usage: node scripts/test-failures.mjs [--max-lines N]   (exit 0 always: it only reports)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const maxIndex = process.argv.indexOf('--max-lines');
const maxLines = maxIndex > 0 ? Number(process.argv[maxIndex + 1]) : 40;

const logs = [];
for (const group of ['packages', 'plugins', 'examples', 'bench']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const log = join(dir, name, '.turbo', 'turbo-test.log');
    if (existsSync(log)) logs.push({ name: `${group}/${name}`, log });
  }
}

let failed = 0;
for (const { name, log } of logs) {
  const lines = stripVTControlCharacters(readFileSync(log, 'utf8')).split('\n');
  // vitest's failure section: "⎯⎯ Failed Tests N ⎯⎯" (or "Failed Suites") up to the summary's "Test Files" line.
  const start = lines.findIndex((line) => /Failed (Tests|Suites) \d+/.test(line));
  const failLines = lines.filter((line) => /^\s*(FAIL|×)\s/.test(line));
  if (start < 0 && failLines.length === 0) continue;
  failed++;
  console.log(`::: failed tests in ${name}`);
  const picked = start >= 0 ? lines.slice(start).filter((line) => line.trim() !== '') : failLines;
  for (const line of picked.slice(0, maxLines)) console.log(`    ${line.trim()}`);
  if (picked.length > maxLines) console.log(`    … ${picked.length - maxLines} more lines in ${log}`);
}
if (failed === 0)
  console.log('::: no vitest failure found in any .turbo/turbo-test.log (a build or setup step failed?)');

#!/usr/bin/env node
// Checks that every workspace package has the house shape (STYLE.md rules 1–2): plugin folder and package name
// agree, ESM with an exports map, engines, a README, and plugins take @flowlane/core as a peer dependency.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const problems = [];
const read = (dir) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
const dirs = (parent) =>
  existsSync(join(root, parent))
    ? readdirSync(join(root, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(root, parent, d.name, 'package.json')))
        .map((d) => `${parent}/${d.name}`)
    : [];

for (const dir of [...dirs('packages'), ...dirs('plugins')]) {
  const pkg = read(dir);
  const say = (msg) => problems.push(`${dir} (${pkg.name}): ${msg}`);
  if (pkg.type !== 'module') say('"type" must be "module"');
  if (pkg.sideEffects === undefined) say('"sideEffects" must be declared');
  if (!pkg.exports?.['.']?.types || !pkg.exports?.['.']?.default) say('exports["."] needs "types" and "default"');
  if (!pkg.exports?.['./package.json']) say('exports must include "./package.json"');
  if (!pkg.engines?.node) say('"engines.node" is missing');
  if (!existsSync(join(root, dir, 'README.md'))) say('README.md is missing');
  if (dir.startsWith('plugins/')) {
    const folder = dir.slice('plugins/'.length);
    if (pkg.name !== `@flowlane/${folder}`) say(`package name must be "@flowlane/${folder}" to match its folder`);
    if (!/^(executor|scheduler|middleware|secrets|audit|metrics|store|queue|monitor)-[a-z0-9-]+$/.test(folder))
      say('folder must be <kind>-<name> with a known kind');
    if (pkg.dependencies?.['@flowlane/core']) say('@flowlane/core must be a peerDependency, never a dependency');
    if (!pkg.peerDependencies?.['@flowlane/core']) say('@flowlane/core must be a peerDependency');
    if (!pkg.keywords?.includes('flowlane-plugin')) say('keywords must include "flowlane" and "flowlane-plugin"');
  }
}
if (problems.length > 0) {
  console.error(`Package shape problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('All packages have the expected shape.');

#!/usr/bin/env node
// Step 2 of a release, right after `changeset version`: copies each public package's new package.json version into
// its src/version.ts (PKG_VERSION / CORE_VERSION, which tests keep equal to package.json) and moves every plugin's
// CORE_RANGE to `^<new core version>` — in a 0.x fixed group, plugins 0.2.x support core ^0.2.0, and a caret range
// on 0.1.0 would reject core 0.2.0 at load (FL_PLUGIN_INCOMPATIBLE); and moves the lower bound of every
// peerDependency on core to the new core version. Idempotent.
// Usage: node scripts/release/sync-versions.mjs   (`pnpm version-packages` runs both steps)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicPackages } from './workspace.mjs';

const packages = publicPackages();
const core = packages.find((p) => p.pkg.name === '@flowlane/core');
if (!core) throw new Error('@flowlane/core is not in the workspace');
const changed = [];
for (const { dir, path, pkg } of packages) {
  // peerDependencies on core: `workspace:>=<core version> <1.0.0` (why not `workspace:^`: docs/contributing.md,
  // "Releasing"): the lower bound follows core, the upper one stays below 1.0.0.
  const manifest = join(path, 'package.json');
  const text = readFileSync(manifest, 'utf8');
  const moved = text.replace(/("@flowlane\/core": "workspace:>=)[^ "]+( <1\.0\.0")/, `$1${core.pkg.version}$2`);
  if (moved !== text && pkg.peerDependencies?.['@flowlane/core']) {
    writeFileSync(manifest, moved);
    changed.push(`${dir}/package.json`);
  }
  const file = join(path, 'src', 'version.ts');
  if (!existsSync(file)) continue;
  const before = readFileSync(file, 'utf8');
  const after = before
    .replace(/((?:PKG|CORE)_VERSION = )'[^']*'/g, `$1'${pkg.version}'`)
    .replace(/(CORE_RANGE = )'[^']*'/g, `$1'^${core.pkg.version}'`)
    // the JSDoc @example outputs of those constants
    .replace(/(console\.log\((?:PKG|CORE)_VERSION\); \/\/ )\S+/g, `$1${pkg.version}`)
    .replace(/(console\.log\(CORE_RANGE\); \/\/ )\S+/g, `$1^${core.pkg.version}`);
  if (after !== before) {
    writeFileSync(file, after);
    changed.push(`${dir}/src/version.ts`);
  }
}
console.log(changed.length > 0 ? `updated ${changed.join(', ')}` : 'version constants already match package.json');

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_VERSION, ErrorCodes, type FlowlanePlugin } from '@flowlane/core';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/** The `## ` sections every package README has, in this order (`STYLE.md` rule 15). */
export const README_SECTIONS = ['Install', 'Usage', 'Options', 'Events and error codes', 'Compatibility'] as const;

/** Options of {@link packageConformance} and {@link checkPackage}. */
export interface PackageConformanceOptions {
  /** The package root (where `package.json` and `README.md` are): `new URL('..', import.meta.url)` from `src/`. */
  readonly dir: string | URL;
  /** The package's `PKG_VERSION` constant: must equal package.json's `version`. */
  readonly version?: string | undefined;
  /** The package's `CORE_RANGE` constant: a valid semver range that the running `@flowlane/core` satisfies. */
  readonly coreRange?: string | undefined;
  /**
   * Creates the package's plugin (with minimal valid options, opening nothing): it must be frozen, named after the
   * package, carry `version` and declare `coreRange` as its `flowlane` range.
   */
  readonly plugin?: (() => Readonly<FlowlanePlugin>) | undefined;
  /**
   * The package's own error table (`definePluginErrors`' table, or its codes): every code needs a README row
   * `` | `CODE` | meaning | how to fix | `` with both cells filled.
   */
  readonly errorCodes?: Readonly<Record<string, unknown>> | readonly string[] | undefined;
  /**
   * Codes of other packages' tables the package raises and documents (a shared or re-used table). A README row for a
   * code that is in none of `errorCodes`, `foreignCodes` and core's `ErrorCodes` is **stale** and fails the check.
   */
  readonly foreignCodes?: Readonly<Record<string, unknown>> | readonly string[] | undefined;
  /** Codes of core or `foreignCodes` the package raises: each needs a README row too. */
  readonly documents?: readonly string[] | undefined;
  /** Option names that each need a `### name` heading in the README (its Options section: type, default). */
  readonly options?: readonly string[] | undefined;
  /** `## ` sections the README must have, in this order (others may sit between). Default {@link README_SECTIONS}. */
  readonly readmeSections?: readonly string[] | undefined;
}

const codesOf = (t: Readonly<Record<string, unknown>> | readonly string[] | undefined): readonly string[] =>
  t === undefined ? [] : Array.isArray(t) ? (t as readonly string[]) : Object.keys(t);

const pathOf = (dir: string | URL): string => (typeof dir === 'string' ? dir : fileURLToPath(dir));

/** A README table row that documents an error code: the code and the cells after it. */
interface CodeRow {
  readonly code: string;
  readonly cells: readonly string[];
  readonly line: number;
}

/**
 * Every table row of a markdown text whose first cell names error codes (`` | `FL_…` | … | ``; a cell naming several,
 * `` `FL_A` / `FL_B` ``, gives a row per code), with the cells after the first.
 */
export function readmeCodeRows(markdown: string): CodeRow[] {
  const rows: CodeRow[] = [];
  markdown.split('\n').forEach((text, i) => {
    const m = /^\|([^|]*)\|(.*)$/.exec(text.trim());
    if (m === null) return;
    const codes = [...m[1]!.matchAll(/`(FL_[A-Z0-9_]+)`/g)].map((c) => c[1]!);
    const cells = m[2]!
      .replace(/\|\s*$/, '')
      .split('|')
      .map((c) => c.trim());
    for (const code of codes) rows.push({ code, cells, line: i + 1 });
  });
  return rows;
}

/**
 * The problems {@link packageConformance} reports for a package, as sentences (empty when the package conforms):
 * version drift between `PKG_VERSION` and package.json, a plugin that is not frozen or is misnamed, an undocumented
 * error code, a README row without meaning or fix, a **stale** README row (a code that no table defines), missing
 * README sections.
 *
 * @example
 * ```ts
 * import { checkPackage } from '@flowlane/testing';
 * import { DockerErrorCodes, PKG_VERSION } from '@flowlane/executor-docker';
 * console.log(checkPackage({ dir: new URL('..', import.meta.url), version: PKG_VERSION, errorCodes: DockerErrorCodes }));
 * ```
 */
export function checkPackage(options: PackageConformanceOptions): string[] {
  const dir = pathOf(options.dir);
  const problems: string[] = [];
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');

  if (options.version !== undefined && options.version !== pkg.version)
    problems.push(`PKG_VERSION is "${options.version}" but package.json says "${pkg.version}": keep them equal.`);
  if (options.coreRange !== undefined) {
    if (semver.validRange(options.coreRange) === null)
      problems.push(`CORE_RANGE "${options.coreRange}" is not a semver range.`);
    else if (!semver.satisfies(CORE_VERSION, options.coreRange, { includePrerelease: true }))
      problems.push(`CORE_RANGE "${options.coreRange}" does not include the running core ${CORE_VERSION}.`);
  }
  if (options.plugin !== undefined) {
    const p = options.plugin();
    if (!Object.isFrozen(p)) problems.push('the plugin object is not frozen (use definePlugin).');
    if (p.name !== pkg.name) problems.push(`the plugin is named "${p.name}", not after its package "${pkg.name}".`);
    if (p.version !== pkg.version)
      problems.push(`the plugin says version "${p.version}", package.json "${pkg.version}".`);
    if (options.coreRange !== undefined && p.flowlane !== options.coreRange)
      problems.push(`the plugin declares core range "${p.flowlane}", CORE_RANGE is "${options.coreRange}".`);
  }

  const own = codesOf(options.errorCodes);
  const foreign = new Set(codesOf(options.foreignCodes));
  const rows = readmeCodeRows(readme);
  const documented = new Map(rows.map((r) => [r.code, r]));
  for (const code of [...own, ...(options.documents ?? [])])
    if (!documented.has(code)) problems.push(`README has no row for ${code} (| \`${code}\` | meaning | how to fix |).`);
  for (const code of options.documents ?? [])
    if (!foreign.has(code) && !Object.hasOwn(ErrorCodes, code))
      problems.push(`documents lists ${code}, which neither core nor foreignCodes defines.`);
  const known = new Set(own);
  for (const row of rows) {
    if (!known.has(row.code) && !foreign.has(row.code) && !Object.hasOwn(ErrorCodes, row.code))
      problems.push(
        `README line ${row.line} documents ${row.code}, which no error table defines (stale row: remove it, or pass the table that defines it).`,
      );
    if (row.cells.length < 2 || row.cells.slice(0, 2).some((c) => c === ''))
      problems.push(
        `README line ${row.line}: the row of ${row.code} needs a meaning and a fix (Code · Meaning · How to fix).`,
      );
  }
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.code)) problems.push(`README line ${row.line} documents ${row.code} a second time.`);
    seen.add(row.code);
  }

  const subheadings = new Set([...readme.matchAll(/^### (.+?)\s*$/gm)].map((m) => m[1]!));
  for (const option of options.options ?? [])
    if (!subheadings.has(option) && !subheadings.has(`\`${option}\``))
      problems.push(`README has no "### ${option}" heading for the option ${option} (say its type and default).`);

  const headings = [...readme.matchAll(/^## (.+?)\s*$/gm)].map((m) => m[1]!);
  let at = -1;
  for (const section of options.readmeSections ?? README_SECTIONS) {
    const i = headings.indexOf(section, at + 1);
    if (i === -1)
      problems.push(
        headings.includes(section)
          ? `README section "## ${section}" is out of order (expected: ${(options.readmeSections ?? README_SECTIONS).join(' · ')}).`
          : `README has no "## ${section}" section.`,
      );
    else at = i;
  }
  return problems;
}

/**
 * Registers a vitest suite that keeps a package's metadata and README honest: `PKG_VERSION` equals package.json, the
 * plugin is frozen and named after its package with the right version and core range, every error code has a README
 * row (Code · Meaning · How to fix), **no README row documents a code that does not exist**, every listed option has a
 * `###` heading, and the README has the house sections. Call it at the top level of a test file; it replaces the per-package README / version / error-table
 * tests.
 *
 * @example
 * ```ts
 * import type { FlowlanePlugin, PluginErrorTable } from '@flowlane/core';
 * import { packageConformance } from '@flowlane/testing';
 *
 * // What the plugin package's own modules export (src/errors.ts, src/docker-executor-plugin.ts, src/version.ts):
 * declare const DockerErrorCodes: PluginErrorTable;
 * declare function dockerExecutor(): FlowlanePlugin;
 * declare const CORE_RANGE: string;
 * declare const PKG_VERSION: string;
 *
 * packageConformance('@flowlane/executor-docker', {
 *   dir: new URL('..', import.meta.url),
 *   version: PKG_VERSION,
 *   coreRange: CORE_RANGE,
 *   plugin: () => dockerExecutor(),
 *   errorCodes: DockerErrorCodes,
 *   documents: ['FL_EXEC_FAILED', 'FL_TIMEOUT', 'FL_CANCELLED'],
 * });
 * ```
 */
export function packageConformance(name: string, options: PackageConformanceOptions): void {
  describe(`package conformance: ${name}`, () => {
    it('metadata, plugin identity, README error table (no missing, no stale rows) and sections', () => {
      expect(checkPackage(options)).toEqual([]);
    });
  });
}

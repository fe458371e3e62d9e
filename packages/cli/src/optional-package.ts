import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, ExitCode } from './cli-error.js';

/**
 * Imports an optional peer package — a Flowlane plugin the CLI drives but does not depend on (`@flowlane/store-redis`,
 * `@flowlane/secrets-file`, `@flowlane/audit-file`). Resolved from the current directory first (the project's own
 * copy, next to its `@flowlane/core`), then next to the CLI (a global install with the plugin installed beside it).
 * Missing everywhere: a `CliError` that names the package to install and what needs it.
 */
export async function importOptional<T>(pkg: string, cwd: string, neededFor: string): Promise<T> {
  try {
    const path = createRequire(join(cwd, 'noop.js')).resolve(pkg);
    return (await import(pathToFileURL(path).href)) as T;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    return (await import(pkg)) as T;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw new CliError(
      `${neededFor} needs the package ${pkg}, which is not installed.`,
      `Install it in your project (pnpm add ${pkg}) or next to the CLI (npm i -g ${pkg}).`,
      ExitCode.usage,
    );
  }
}

const isNotFound = (e: unknown): boolean => {
  const code = (e as { code?: unknown })?.code;
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
};

/* Internal: locate a service binary or fail with install instructions. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ServiceUnavailableError } from './errors.js';

/** Directories searched after PATH: daemons live in sbin, which is often missing from a non-root PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The apt command that installs `aptPackage`. */
export function installCommandFor(aptPackage: string): string {
  return `sudo apt-get install -y --no-install-recommends ${aptPackage}`;
}

/**
 * Absolute path of `binary` (an absolute path, or a name searched in PATH then the sbin directories).
 * Throws {@link ServiceUnavailableError} naming the apt package when it is not installed.
 */
export async function requireBinary(service: string, binary: string, aptPackage: string): Promise<string> {
  const candidates = isAbsolute(binary)
    ? [binary]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS].map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return candidate;
  }
  throw new ServiceUnavailableError(service, binary, installCommandFor(aptPackage));
}

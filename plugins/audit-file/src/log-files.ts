import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The files of a log in chain order: rotated `<path>.1`, `<path>.2`, … (oldest first), then `<path>`. */
export async function logFiles(path: string): Promise<{ rotated: string[]; current: string }> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    names = [];
  }
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? /^\d+$/.exec(n.slice(base.length + 1))?.[0] : undefined))
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
    .map((n) => join(dir, `${base}.${n}`));
  return { rotated, current: path };
}

/** The head file: the last (seq, hash) the writer made durable, so truncation of whole records is detected. */
export const headPath = (path: string): string => `${path}.head`;
/** The writer's lock file. */
export const lockPath = (path: string): string => `${path}.lock`;

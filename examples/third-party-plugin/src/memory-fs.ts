import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

/** Result of a copy, as `Executor.copyIn` / `copyOut` return it. */
export interface Copied {
  readonly bytes: number;
  readonly files: number;
  readonly sha256?: string | undefined;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const notFound = (path: string): Error =>
  Object.assign(new Error(`ENOENT: no such file or directory in the echo executor: ${path}`), { code: 'ENOENT' });

/** The executor's side: files by absolute POSIX path, kept in memory. Directories exist implicitly. */
export class MemoryFs {
  readonly #files = new Map<string, Uint8Array>();

  /** Absolute, normalised form of `path` relative to `cwd`. */
  static resolve(path: string, cwd = '/'): string {
    return posix.resolve(cwd, path);
  }

  read(path: string): Uint8Array | undefined {
    return this.#files.get(MemoryFs.resolve(path));
  }

  write(path: string, data: Uint8Array): void {
    this.#files.set(MemoryFs.resolve(path), data);
  }

  /** Copies a local file or directory tree to `remote`. */
  async copyIn(local: string, remote: string): Promise<Copied> {
    const root = MemoryFs.resolve(remote);
    const s = await stat(local);
    if (s.isFile()) {
      const data = new Uint8Array(await readFile(local));
      this.#files.set(root, data);
      return { bytes: data.length, files: 1, sha256: sha256(data) };
    }
    let bytes = 0;
    let files = 0;
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name), posix.join(rel, e.name));
        else if (e.isFile()) {
          const data = new Uint8Array(await readFile(join(dir, e.name)));
          this.#files.set(posix.join(root, rel, e.name), data);
          bytes += data.length;
          files++;
        }
      }
    };
    await walk(local, '');
    return { bytes, files };
  }

  /** Copies the file or the tree at `remote` to a local path (parent directories are created). */
  async copyOut(remote: string, local: string): Promise<Copied> {
    const root = MemoryFs.resolve(remote);
    const file = this.#files.get(root);
    if (file !== undefined) {
      await mkdir(dirname(local), { recursive: true });
      await writeFile(local, file);
      return { bytes: file.length, files: 1, sha256: sha256(file) };
    }
    const prefix = root === '/' ? '/' : `${root}/`;
    const entries = [...this.#files].filter(([p]) => p.startsWith(prefix));
    if (entries.length === 0) throw notFound(root);
    let bytes = 0;
    for (const [p, data] of entries) {
      const target = join(local, ...p.slice(prefix.length).split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, data);
      bytes += data.length;
    }
    return { bytes, files: entries.length };
  }
}

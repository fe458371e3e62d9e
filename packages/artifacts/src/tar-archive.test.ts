import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTo, packPath } from './tar-archive.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-artifacts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('packPath / extractTo', () => {
  it('round-trips a single file with its size and sha256', async () => {
    const data = Buffer.from('hello artifacts\n'.repeat(1000));
    await writeFile(join(dir, 'a.txt'), data);
    const packed = packPath(join(dir, 'a.txt'), 'a.txt');
    const out = join(dir, 'out', 'copy.txt');
    const [sent, received] = await Promise.all([packed.done, extractTo(packed.stream, out)]);
    const sha = createHash('sha256').update(data).digest('hex');
    expect(sent).toEqual({ bytes: data.length, files: 1, sha256: sha });
    expect(received).toMatchObject({ bytes: data.length, files: 1, sha256: sha });
    expect(await readFile(out)).toEqual(data);
  });

  it('round-trips a directory tree with a symlink', async () => {
    await mkdir(join(dir, 'src', 'nested'), { recursive: true });
    await writeFile(join(dir, 'src', 'one.txt'), 'one');
    await writeFile(join(dir, 'src', 'nested', 'two.txt'), 'two!');
    await symlink('one.txt', join(dir, 'src', 'link'));
    const packed = packPath(join(dir, 'src'), 'src');
    const out = join(dir, 'dst');
    const [sent, received] = await Promise.all([packed.done, extractTo(packed.stream, out)]);
    expect(sent).toMatchObject({ bytes: 7, files: 2 });
    expect(received).toMatchObject({ bytes: 7, files: 2 });
    expect(await readFile(join(out, 'nested', 'two.txt'), 'utf8')).toBe('two!');
    expect(await readlink(join(out, 'link'))).toBe('one.txt');
  });

  it('refuses entries that escape the destination', async () => {
    const archive = pack();
    archive.entry({ name: 'item/../../evil.txt' }, 'pwned');
    archive.finalize();
    const stream = new PassThrough();
    archive.pipe(stream);
    await expect(extractTo(stream, join(dir, 'safe'))).rejects.toThrow();
    await expect(readFile(join(dir, 'evil.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('packPath with a signal', () => {
  const openFds = async () => (await readdir('/proc/self/fd')).length;

  it('rejects at once when already aborted', async () => {
    await writeFile(join(dir, 'a.txt'), 'a');
    const packed = packPath(join(dir, 'a.txt'), 'a.txt', [], { signal: AbortSignal.abort(new Error('stop')) });
    await expect(packed.done).rejects.toThrow('stop');
  });

  it('stops mid-file: done rejects with the reason, the archive ends and the file is closed', async () => {
    const big = join(dir, 'big.bin');
    await writeFile(big, Buffer.alloc(64 * 1024 * 1024, 3));
    const fds = await openFds();
    const ctrl = new AbortController();
    const packed = packPath(big, 'big.bin', [], { signal: ctrl.signal });
    let received = 0;
    const ended = new Promise<void>((resolve) => {
      const stream = packed.stream as unknown as PassThrough;
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 1024 * 1024 && !ctrl.signal.aborted) ctrl.abort(new Error('enough'));
      });
      stream.on('close', () => resolve());
    });
    await expect(packed.done).rejects.toThrow('enough');
    await ended;
    expect(received).toBeLessThan(64 * 1024 * 1024);
    expect(await openFds()).toBe(fds);
  });
});

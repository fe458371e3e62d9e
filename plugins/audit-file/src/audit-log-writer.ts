import { type FileHandle, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { type AuditRecord, REDACTED } from '@flowlane/core';
import { chainRecord, GENESIS_HASH, hashRecord, keyBytes } from './chain.js';
import { AuditFileError } from './errors.js';
import { headPath, lockPath, logFiles } from './log-files.js';
import { type AuditFileOptions, checkAuditFileOptions, DEFAULT_REDACT_KEYS } from './options.js';
import { readHead } from './verify-audit-log.js';

/** An open audit log: appends are serialised and chained; `close()` makes everything durable and frees the lock. */
export interface AuditLog {
  /** Append one record (seq, prevHash and hash are added). Resolves once written (and fsynced with `fsync: 'always'`). */
  append(record: AuditRecord | Readonly<Record<string, unknown>>): Promise<void>;
  /** The seq of the last record appended (0 for an empty log). */
  readonly seq: number;
  /** Flush, fsync, update the head file, release the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open (or create) an audit log for appending: takes the lock file `<path>.lock`, continues the chain from the last
 * record (across rotated files), and checks that record's hash with `hmacKey`.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openAuditLog } from '@flowlane/audit-file';
 *
 * const log = await openAuditLog({ path: join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.jsonl') });
 * await log.append({ timestamp: Date.now(), executionId: 'e1', workflow: 'deploy', action: 'release', outcome: 'success' });
 * console.log(log.seq); // 1
 * await log.close();
 * ```
 */
export async function openAuditLog(options: AuditFileOptions): Promise<AuditLog> {
  checkAuditFileOptions(options);
  const path = options.path;
  await acquireLock(path);
  try {
    const key = keyBytes(options.hmacKey);
    const { rotated, current } = await logFiles(path);
    const last = await lastRecord([...rotated, current], path, key);
    await checkHead(path, last, key);
    const fh = await open(current, 'a');
    const size = (await fh.stat()).size;
    const writer = new Writer(options, key, fh, size, last.seq, last.hash, rotated.length);
    await writer.writeHead();
    return writer;
  } catch (e) {
    await unlink(lockPath(path)).catch(() => undefined);
    throw e;
  }
}

class Writer implements AuditLog {
  readonly #path: string;
  readonly #key: Uint8Array | undefined;
  readonly #always: boolean;
  readonly #maxBytes: number | undefined;
  readonly #redactKeys: ReadonlySet<string>;
  #fh: FileHandle;
  #size: number;
  #seq: number;
  #hash: string;
  #rotations: number;
  #tail: Promise<void> = Promise.resolve();
  #dirty = false;
  #failed: AuditFileError | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    options: AuditFileOptions,
    key: Uint8Array | undefined,
    fh: FileHandle,
    size: number,
    seq: number,
    hash: string,
    rotations: number,
  ) {
    this.#path = options.path;
    this.#key = key;
    this.#always = (options.fsync ?? 'always') === 'always';
    this.#maxBytes = options.rotate?.maxBytes;
    this.#redactKeys = new Set((options.redactKeys ?? DEFAULT_REDACT_KEYS).map((k) => k.toLowerCase()));
    this.#fh = fh;
    this.#size = size;
    this.#seq = seq;
    this.#hash = hash;
    this.#rotations = rotations;
    if (!this.#always) {
      this.#timer = setInterval(() => {
        this.#tail = this.#tail.then(() => this.#sync()).catch(() => undefined);
      }, options.fsyncIntervalMs ?? 1000);
      this.#timer.unref();
    }
  }

  get seq(): number {
    return this.#seq;
  }

  append(record: AuditRecord | Readonly<Record<string, unknown>>): Promise<void> {
    // Anything but a plain object was chained as an empty record ({ seq, prevHash, hash } and nothing else).
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      return Promise.reject(
        new AuditFileError('FL_AUDIT_INVALID_OPTION', {
          option: 'record',
          reason: `expected an audit record object, got ${Array.isArray(record) ? 'an array' : record === null ? 'null' : typeof record}`,
        }),
      );
    if (this.#closing !== undefined)
      return Promise.reject(
        new AuditFileError('FL_AUDIT_WRITE_FAILED', { path: this.#path, reason: 'the log is closed' }),
      );
    const redacted = this.#redact(record) as Record<string, unknown>;
    const run = this.#tail.then(() => this.#append(redacted));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #append(record: Record<string, unknown>): Promise<void> {
    if (this.#failed !== undefined) throw this.#failed;
    let chained: { line: string; hash: string };
    try {
      chained = chainRecord(record, this.#seq + 1, this.#hash, this.#key);
    } catch (e) {
      // Nothing was written (a BigInt, a cycle): refuse this record only. Latching it as a write failure stopped the
      // log for every later record, permission decisions included.
      throw new AuditFileError(
        'FL_AUDIT_INVALID_OPTION',
        { option: 'record', reason: `it cannot be written as JSON (${e instanceof Error ? e.message : String(e)})` },
        { cause: e },
      );
    }
    try {
      const { line, hash } = chained;
      const bytes = Buffer.from(line, 'utf8');
      if (this.#maxBytes !== undefined && this.#size > 0 && this.#size + bytes.length > this.#maxBytes)
        await this.#rotate();
      await this.#fh.write(bytes, 0, bytes.length);
      this.#size += bytes.length;
      this.#seq++;
      this.#hash = hash;
      this.#dirty = true;
      if (this.#always) await this.#sync();
    } catch (e) {
      this.#failed = new AuditFileError(
        'FL_AUDIT_WRITE_FAILED',
        { path: this.#path, reason: (e as Error).message ?? String(e) },
        { cause: e },
      );
      throw this.#failed;
    }
  }

  /** Close the current file as `<path>.<n>` and continue the chain in a fresh `<path>`. */
  async #rotate(): Promise<void> {
    await this.#fh.sync();
    await this.#fh.close();
    this.#rotations++;
    await rename(this.#path, `${this.#path}.${this.#rotations}`);
    this.#fh = await open(this.#path, 'a');
    this.#size = 0;
  }

  async #sync(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.#fh.sync();
    await this.writeHead();
  }

  /** Atomically replace `<path>.head` with the current (seq, hash). */
  async writeHead(): Promise<void> {
    const head = { seq: this.#seq, hash: this.#hash, mac: hashRecord({ seq: this.#seq, hash: this.#hash }, this.#key) };
    const tmp = `${headPath(this.#path)}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(head)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, headPath(this.#path));
  }

  #redact(v: unknown, depth = 0): unknown {
    if (typeof v !== 'object' || v === null || depth > 32) return v;
    if (Array.isArray(v)) return v.map((x) => this.#redact(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[k] = this.#redactKeys.has(k.toLowerCase()) && x !== undefined ? REDACTED : this.#redact(x, depth + 1);
    return out;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#timer !== undefined) clearInterval(this.#timer);
      await this.#tail;
      try {
        if (this.#failed === undefined) await this.#sync();
      } finally {
        await this.#fh.close().catch(() => undefined);
        await unlink(lockPath(this.#path)).catch(() => undefined);
      }
    })();
    return this.#closing;
  }
}

/** Take `<path>.lock` (O_EXCL); a lock left by a dead process on this host is stale and taken over. */
async function acquireLock(path: string): Promise<void> {
  const file = lockPath(path);
  const me = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, me, { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(await readFile(file, 'utf8')) as typeof holder;
    } catch {
      // unreadable or half-written lock: treated as held (refused) below
    }
    const pid = typeof holder.pid === 'number' ? holder.pid : null;
    const host = typeof holder.host === 'string' ? holder.host : null;
    if (attempt === 0 && pid !== null && host === hostname() && !isAlive(pid)) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    throw new AuditFileError('FL_AUDIT_LOCKED', { path, lockFile: file, pid, host });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** seq and hash of the last record of the log (0 / genesis for a new log); refuses a torn or foreign tail. */
async function lastRecord(
  files: string[],
  path: string,
  key: Uint8Array | undefined,
): Promise<{ seq: number; hash: string }> {
  for (let k = files.length - 1; k >= 0; k--) {
    const file = files[k]!;
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      continue;
    }
    if (size === 0) continue;
    const fh = await open(file, 'r');
    let tail: string;
    try {
      const n = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, size - n);
      tail = buf.toString('utf8');
    } finally {
      await fh.close();
    }
    if (!tail.endsWith('\n'))
      throw new AuditFileError('FL_AUDIT_CORRUPT', { path, reason: `${file} ends in an incomplete line` });
    const line = tail.slice(tail.lastIndexOf('\n', tail.length - 2) + 1, -1);
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new AuditFileError('FL_AUDIT_CORRUPT', { path, reason: `the last line of ${file} is not valid JSON` });
    }
    const { hash, ...body } = rec;
    if (typeof rec.seq !== 'number' || typeof hash !== 'string' || hashRecord(body, key) !== hash)
      throw new AuditFileError('FL_AUDIT_CORRUPT', {
        path,
        reason: `the last record of ${file} does not verify${key === undefined ? ' (was it written with an hmacKey?)' : ' with this hmacKey'}`,
      });
    return { seq: rec.seq, hash };
  }
  return { seq: 0, hash: GENESIS_HASH };
}

/**
 * The log must reach the (seq, hash) in `<path>.head`: opening rewrites the head, so continuing a log whose last
 * records were cut off (or whose head was deleted) would make the truncation undetectable by the verifier.
 */
async function checkHead(
  path: string,
  last: { seq: number; hash: string },
  key: Uint8Array | undefined,
): Promise<void> {
  const head = await readHead(path, key);
  const corrupt = (reason: string): never => {
    throw new AuditFileError('FL_AUDIT_CORRUPT', { path, reason });
  };
  if (head === undefined) {
    if (last.seq > 0) corrupt('the head file is missing (deleted?), so truncation cannot be ruled out');
    return;
  }
  if ('error' in head) return corrupt(head.error);
  if (head.seq > last.seq)
    corrupt(`the log ends at seq ${last.seq} but its writer made seq ${head.seq} durable (truncated)`);
  if (head.seq === last.seq && head.hash !== last.hash)
    corrupt('the last record differs from the one the writer made durable (head file)');
}

import { readFile } from 'node:fs/promises';
import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, hashRecord, keyBytes } from './chain.js';
import { AuditFileError } from './errors.js';
import { headPath, logFiles } from './log-files.js';

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /** The HMAC key the log was written with (`hmacKey` of `auditFile`). Without it, an HMAC log fails at record 1. */
  readonly key?: string | Uint8Array | undefined;
}

/** A log whose every record checks out. */
export interface AuditLogIntact {
  readonly ok: true;
  /** Number of records verified (across rotated files). */
  readonly records: number;
  /** Files read, in chain order. */
  readonly files: readonly string[];
  /** `hash` of the last record (`GENESIS_HASH` for an empty log). */
  readonly lastHash: string;
}

/** A log with a broken chain: where it breaks first and why. */
export interface AuditLogBroken {
  readonly ok: false;
  /** The `seq` the first broken record should have had (1-based, counted across rotated files). */
  readonly brokenAt: number;
  /** The file and 1-based line of that record (the line after the last one when records are missing at the end). */
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  /** Records that verified before the break. */
  readonly records: number;
}

/**
 * Verify a hash-chained audit log written by `auditFile` (and its rotated files `<path>.1`, `<path>.2`, …): every
 * line must be the canonical JSON of its record, `seq` must count up from 1 without gaps, `prevHash` must be the
 * previous record's `hash`, `hash` must be the SHA-256 (HMAC-SHA-256 with `key`) of the record, and the log must reach
 * the `(seq, hash)` its writer last made durable (`<path>.head`). Reports the first broken record for any edit,
 * deletion, insertion, truncation or reordering.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openAuditLog, verifyAuditLog } from '@flowlane/audit-file';
 *
 * const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.jsonl');
 * const log = await openAuditLog({ path, hmacKey: 'k' });
 * await log.append({ timestamp: 1, executionId: 'e1', workflow: 'deploy', action: 'node.execute', outcome: 'success' });
 * await log.close();
 * const report = await verifyAuditLog(path, { key: 'k' });
 * console.log(report.ok); // true
 * ```
 */
export async function verifyAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
): Promise<AuditLogIntact | AuditLogBroken> {
  checkVerifyOptions(path, options);
  const key = keyBytes(options.key);
  const { rotated, current } = await logFiles(path);
  const files = [...rotated, current];
  const head = await readHead(path, key);
  let seq = 0;
  let prev = GENESIS_HASH;
  const broken = (file: string, line: number, reason: string): AuditLogBroken => ({
    ok: false,
    brokenAt: seq + 1,
    file,
    line,
    reason,
    records: seq,
  });
  if (head !== undefined && 'error' in head) return broken(headPath(path), 1, head.error);
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (e) {
      if (file === current && rotated.length === 0 && seq === 0 && head === undefined)
        return broken(file, 1, `the log file cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      if (file === current) continue; // rotated just now and nothing written since
      return broken(file, 1, `the log file cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const { text, badLine } = decodeLog(bytes);
    if (text.length === 0) {
      if (file !== current) return broken(file, 1, 'a rotated file is empty (its records were deleted)');
      continue;
    }
    const lines = text.split('\n');
    const torn = lines.pop() !== '';
    for (let n = 0; n < lines.length; n++) {
      if (n + 1 === badLine) return broken(file, n + 1, 'the line is not valid UTF-8 (edited)');
      const reason = checkLine(lines[n]!, seq + 1, prev, key);
      if (typeof reason === 'string') return broken(file, n + 1, reason);
      seq++;
      prev = reason.hash;
      if (head !== undefined && seq === head.seq && prev !== head.hash)
        return broken(file, n + 1, 'the record differs from the one the writer made durable (head file)');
    }
    if (torn) return broken(file, lines.length + 1, 'the file ends in an incomplete line (truncated or edited)');
  }
  if (head === undefined && seq > 0)
    return broken(headPath(path), 1, 'the head file is missing (deleted?), so truncation cannot be ruled out');
  if (head !== undefined && head.seq > seq)
    return broken(
      current,
      Number.NaN,
      `the log ends at seq ${seq} but its writer made seq ${head.seq} durable (truncated)`,
    );
  return { ok: true, records: seq, files, lastHash: prev };
}

// ignoreBOM keeps a leading BOM in the text (as Buffer#toString does), so a BOM added to a log fails its first line.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A log file's text, decoded once, and the 1-based line holding its first invalid UTF-8, if any. A lenient decode
 * turns any invalid byte into U+FFFD, so a record holding U+FFFD could have its three bytes replaced by one invalid
 * byte and still verify; only a file that fails the strict decode is searched line by line.
 */
function decodeLog(bytes: Buffer): { text: string; badLine: number | undefined } {
  try {
    return { text: utf8.decode(bytes), badLine: undefined };
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      try {
        utf8.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
      } catch {
        return { text: bytes.toString('utf8'), badLine: line };
      }
      if (end === -1) return { text: bytes.toString('utf8'), badLine: line };
      start = end + 1;
    }
  }
}

function checkLine(line: string, seq: number, prev: string, key: Uint8Array | undefined): string | { hash: string } {
  if (line === '') return 'empty line';
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return 'the line is not valid JSON (edited or truncated)';
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return 'the line is not a JSON object';
  const r = rec as Record<string, unknown>;
  if (typeof r.seq !== 'number' || typeof r.prevHash !== 'string' || typeof r.hash !== 'string')
    return 'the record lacks seq, prevHash or hash';
  if (canonicalJson(r) !== line) return 'the line is not in canonical form (edited)';
  if (r.seq !== seq) return `expected seq ${seq}, found ${r.seq} (a record was deleted, inserted or moved)`;
  if (r.prevHash !== prev)
    return 'prevHash does not match the previous record (a record was deleted, inserted or moved)';
  const { hash, ...body } = r;
  if (hashRecord(body, key) !== hash)
    return key === undefined
      ? 'hash mismatch (the record was edited, or the log was written with an HMAC key: pass { key })'
      : 'hash mismatch (the record was edited, or the key is wrong)';
  return { hash: hash as string };
}

/** The head file's content: the last (seq, hash) its writer made durable, or why it cannot be trusted. */
export type Head = { seq: number; hash: string } | { error: string };

/** Read `<path>.head` (absent → undefined). */
export async function readHead(path: string, key: Uint8Array | undefined): Promise<Head | undefined> {
  let text: string;
  try {
    text = await readFile(headPath(path), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const h = JSON.parse(text) as { seq?: unknown; hash?: unknown; mac?: unknown };
    if (typeof h.seq !== 'number' || typeof h.hash !== 'string' || typeof h.mac !== 'string')
      return { error: 'the head file is malformed' };
    if (hashRecord({ seq: h.seq, hash: h.hash }, key) !== h.mac)
      return {
        error:
          key === undefined
            ? 'the head file does not verify (edited, or the log was written with an HMAC key: pass { key })'
            : 'the head file does not verify (edited, or the key is wrong)',
      };
    return { seq: h.seq, hash: h.hash };
  } catch {
    return { error: 'the head file is not valid JSON' };
  }
}

const VERIFY_KEYS = allKeys<VerifyAuditLogOptions>()(['key']);

/** A misspelt `key` used to verify without the key and report a sound HMAC log as broken. */
function checkVerifyOptions(path: unknown, options: unknown): void {
  const bad = (option: string, reason: string): never => {
    throw new AuditFileError('FL_AUDIT_INVALID_OPTION', { option, reason });
  };
  if (typeof path !== 'string' || path === '') bad('path', 'give the log file path as a non-empty string');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) bad('options', 'pass { key? }');
  const [u] = unknownKeys(options as object, VERIFY_KEYS);
  if (u !== undefined) bad(u.key, `unknown option; ${unknownKeyHint(u, VERIFY_KEYS)}`);
  const k = (options as VerifyAuditLogOptions).key;
  if (k !== undefined && !(typeof k === 'string' || k instanceof Uint8Array)) bad('key', 'give a string or bytes');
}

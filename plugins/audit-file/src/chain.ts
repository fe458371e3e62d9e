import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** `prevHash` of the first record of a log. */
export const GENESIS_HASH = '0'.repeat(64);

/** One line of the log: the audit record plus its place in the chain. */
export interface ChainedRecord {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly [field: string]: unknown;
}

/** SHA-256 (or HMAC-SHA-256 with `key`) over the canonical record without `hash` (it includes `seq` and `prevHash`). */
export function hashRecord(body: Readonly<Record<string, unknown>>, key: Uint8Array | undefined): string {
  const text = canonicalJson(body);
  return key === undefined
    ? createHash('sha256').update(text).digest('hex')
    : createHmac('sha256', key).update(text).digest('hex');
}

/** Build the line for `record` following (`seq`, `prevHash`). */
export function chainRecord(
  record: Readonly<Record<string, unknown>>,
  seq: number,
  prevHash: string,
  key: Uint8Array | undefined,
): { line: string; hash: string } {
  const { seq: _s, prevHash: _p, hash: _h, ...fields } = record;
  const body = { ...fields, seq, prevHash };
  const hash = hashRecord(body, key);
  return { line: `${canonicalJson({ ...body, hash })}\n`, hash };
}

/** Normalise a key option (string = UTF-8 bytes). */
export function keyBytes(key: string | Uint8Array | undefined): Uint8Array | undefined {
  if (key === undefined) return undefined;
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

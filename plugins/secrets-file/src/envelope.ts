import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretsFileError } from './errors.js';

/** The on-disk form: a JSON envelope whose header is authenticated as AES-GCM additional data. */
interface Envelope {
  readonly format: 'flowlane-secrets';
  readonly version: 1;
  readonly kdf: 'raw' | 'scrypt';
  /** base64 scrypt salt (16 bytes), for `kdf: 'scrypt'`. */
  readonly salt?: string | undefined;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

export interface Header {
  readonly kdf: 'raw' | 'scrypt';
  readonly salt: Buffer;
}

const aad = (h: Header): Buffer =>
  Buffer.from(JSON.stringify({ format: 'flowlane-secrets', version: 1, kdf: h.kdf, salt: h.salt.toString('base64') }));

/** Parse the envelope's header (no decryption); throws `FL_SECRETS_DECRYPT_FAILED` (not-a-secrets-file). */
export function readHeader(text: string, path: string): { header: Header; envelope: Envelope } {
  const invalid = () => new SecretsFileError('FL_SECRETS_DECRYPT_FAILED', { path, reason: 'not-a-secrets-file' });
  let e: Envelope;
  try {
    e = JSON.parse(text) as Envelope;
  } catch {
    throw invalid();
  }
  if (
    typeof e !== 'object' ||
    e === null ||
    e.format !== 'flowlane-secrets' ||
    e.version !== 1 ||
    (e.kdf !== 'raw' && e.kdf !== 'scrypt') ||
    typeof e.iv !== 'string' ||
    typeof e.tag !== 'string' ||
    typeof e.data !== 'string'
  )
    throw invalid();
  return { header: { kdf: e.kdf, salt: Buffer.from(e.salt ?? '', 'base64') }, envelope: e };
}

/** Decrypt; any authentication failure becomes `FL_SECRETS_DECRYPT_FAILED` without detail. */
export function open(envelope: Envelope, header: Header, key: Buffer, path: string): Record<string, string> {
  try {
    const iv = Buffer.from(envelope.iv, 'base64');
    const tag = Buffer.from(envelope.tag, 'base64');
    // Only what seal() writes: a 12-byte IV and the full 16-byte tag. A tag cut short would still authenticate the
    // content, with a forgery chance of 2^-(8 × its length) instead of 2^-128.
    if (iv.length !== 12 || tag.length !== 16) throw new Error('shape');
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    d.setAAD(aad(header));
    d.setAuthTag(tag);
    const plain = Buffer.concat([d.update(Buffer.from(envelope.data, 'base64')), d.final()]);
    const parsed = JSON.parse(plain.toString('utf8')) as { secrets?: unknown };
    plain.fill(0);
    const secrets = parsed.secrets;
    if (typeof secrets !== 'object' || secrets === null) throw new Error('shape');
    return secrets as Record<string, string>;
  } catch {
    // Deliberately no cause: nothing about the content, the key or where decryption failed leaves here.
    throw new SecretsFileError('FL_SECRETS_DECRYPT_FAILED', { path, reason: 'wrong-key-or-tampered' });
  }
}

/** Encrypt `secrets` under `key` with a fresh random IV. */
export function seal(secrets: Readonly<Record<string, string>>, header: Header, key: Buffer): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad(header));
  const plain = Buffer.from(JSON.stringify({ secrets }), 'utf8');
  const data = Buffer.concat([c.update(plain), c.final()]);
  plain.fill(0);
  const envelope: Envelope = {
    format: 'flowlane-secrets',
    version: 1,
    kdf: header.kdf,
    ...(header.kdf === 'scrypt' ? { salt: header.salt.toString('base64') } : {}),
    iv: iv.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

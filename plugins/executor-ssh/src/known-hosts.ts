/* known_hosts parsing and host key matching, as OpenSSH's sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes it. */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** One host key line of a known_hosts file. */
export interface KnownHostEntry {
  readonly marker: '@revoked' | '@cert-authority' | undefined;
  readonly patterns: readonly string[];
  readonly keyType: string;
  readonly key: Buffer;
  /** `file:line`, for messages. */
  readonly source: string;
}

/** The outcome of checking a host key against known_hosts entries. */
export type KnownHostsVerdict =
  | { readonly status: 'match' }
  | { readonly status: 'revoked'; readonly source: string }
  | { readonly status: 'mismatch'; readonly expected: readonly string[] }
  | { readonly status: 'unknown' };

/** Parses known_hosts text; malformed lines are skipped as OpenSSH does. */
export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as typeof marker;
    else if (fields[0]?.startsWith('@')) continue;
    const [hosts, keyType, key] = fields;
    if (hosts === undefined || keyType === undefined || key === undefined) continue;
    const blob = Buffer.from(key, 'base64');
    if (blob.length === 0 || keyTypeOf(blob) !== keyType) continue;
    entries.push({ marker, patterns: hosts.split(','), keyType, key: blob, source: `${file}:${i + 1}` });
  }
  return entries;
}

/** The name known_hosts files use for a host: `host`, or `[host]:port` when the port is not 22. */
export const knownHostName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** True when a host pattern list (`a,*.b,!c`, hashed `|1|salt|hash`) matches `name`. */
export function matchesHostPatterns(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!matchesOne(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function matchesOne(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (salt === undefined || hash === undefined) return false;
    const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const expected = Buffer.from(hash, 'base64');
    return expected.length === actual.length && timingSafeEqual(actual, expected);
  }
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
  return re.test(name.toLowerCase());
}

/**
 * Checks `key` (the server's public key blob) for host `name`: `@revoked` wins, then an exact key match, then any
 * other key listed for the host is a mismatch; a host with no entry is unknown. `@cert-authority` lines are ignored
 * (host certificates are not supported).
 */
export function verifyKnownHost(entries: readonly KnownHostEntry[], name: string, key: Buffer): KnownHostsVerdict {
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', source: revoked.source };
  const forHost = entries.filter((e) => e.marker === undefined && matchesHostPatterns(e.patterns, name));
  if (forHost.some((e) => e.key.equals(key))) return { status: 'match' };
  if (forHost.length > 0) return { status: 'mismatch', expected: forHost.map((e) => fingerprintOf(e.key)) };
  return { status: 'unknown' };
}

/** Key types listed for `name` (used to prefer them when negotiating the host key algorithm). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries
    .filter((e) => e.marker === undefined && matchesHostPatterns(e.patterns, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type string at the start of an SSH public key blob. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

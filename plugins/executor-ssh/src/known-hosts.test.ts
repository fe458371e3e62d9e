import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fingerprintOf,
  knownHostName,
  knownKeyTypes,
  matchesHostPatterns,
  parseKnownHosts,
  verifyKnownHost,
} from './known-hosts.js';

let dir: string;
let keyA: { line: string; blob: Buffer; fingerprint: string };
let keyB: { line: string; blob: Buffer };

async function keygen(name: string): Promise<{ line: string; blob: Buffer; fingerprint: string }> {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  const line = (await readFile(`${path}.pub`, 'utf8')).trim();
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], {
    encoding: 'utf8',
  }).split(' ')[1]!;
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64'), fingerprint };
}
const typeAndKey = (line: string): string => line.split(' ').slice(0, 2).join(' ');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-known-hosts-'));
  keyA = await keygen('a');
  keyB = await keygen('b');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('known_hosts', () => {
  it('computes fingerprints exactly as ssh-keygen -l does', () => {
    expect(fingerprintOf(keyA.blob)).toBe(keyA.fingerprint);
  });

  it('names hosts on port 22 bare and others as [host]:port', () => {
    expect(knownHostName('web1', 22)).toBe('web1');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches plain, [host]:port, wildcard and negated patterns, case-insensitively', () => {
    expect(matchesHostPatterns(['web1', 'web2'], 'web2')).toBe(true);
    expect(matchesHostPatterns(['[10.0.0.1]:2222'], '[10.0.0.1]:2222')).toBe(true);
    expect(matchesHostPatterns(['[10.0.0.1]:2222'], '10.0.0.1')).toBe(false);
    expect(matchesHostPatterns(['*.example.com'], 'API.example.com')).toBe(true);
    expect(matchesHostPatterns(['web?'], 'web7')).toBe(true);
    expect(matchesHostPatterns(['*.example.com', '!db.example.com'], 'db.example.com')).toBe(false);
    expect(matchesHostPatterns(['!db.example.com'], 'web.example.com')).toBe(false);
    expect(matchesHostPatterns(['web.example.com'], 'webXexample.com')).toBe(false);
  });

  it('matches hashed host names written by ssh-keygen -H', async () => {
    const file = join(dir, 'hashed');
    await writeFile(file, `[127.0.0.1]:2222 ${typeAndKey(keyA.line)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(await readFile(file, 'utf8'));
    expect(entries[0]!.patterns[0]).toMatch(/^\|1\|/);
    expect(verifyKnownHost(entries, '[127.0.0.1]:2222', keyA.blob)).toEqual({ status: 'match' });
    expect(verifyKnownHost(entries, '127.0.0.1', keyA.blob)).toEqual({ status: 'unknown' });
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('web1').digest('base64')}`;
    expect(matchesHostPatterns([hashed], 'web1')).toBe(true);
    expect(matchesHostPatterns([hashed], 'web2')).toBe(false);
  });

  it('verifies: match, mismatch (with expected fingerprints), unknown, revoked', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `web1,web2 ${typeAndKey(keyA.line)} comment`,
        `@revoked * ${typeAndKey(keyB.line)}`,
        `@cert-authority *.example.com ${typeAndKey(keyA.line)}`,
        'garbage line',
        `web3 ssh-ed25519 ${Buffer.from('not a key').toString('base64')}`,
      ].join('\n'),
      'kh',
    );
    expect(entries).toHaveLength(3);
    expect(verifyKnownHost(entries, 'web1', keyA.blob)).toEqual({ status: 'match' });
    expect(verifyKnownHost(entries, 'web2', keyB.blob)).toEqual({ status: 'revoked', source: 'kh:4' });
    expect(verifyKnownHost(entries, 'web3', keyA.blob)).toEqual({ status: 'unknown' });
    const other = parseKnownHosts(`web1 ${typeAndKey(keyB.line)}`);
    expect(verifyKnownHost(other, 'web1', keyA.blob)).toEqual({
      status: 'mismatch',
      expected: [fingerprintOf(keyB.blob)],
    });
    // A CA line is not a host key: a host listed only there is unknown.
    expect(verifyKnownHost(entries, 'api.example.com', keyA.blob)).toEqual({ status: 'unknown' });
  });

  it('lists the key types known for a host (to prefer them in negotiation)', () => {
    const entries = parseKnownHosts(`web1 ${typeAndKey(keyA.line)}\nweb1 ${typeAndKey(keyB.line)}`);
    expect(knownKeyTypes(entries, 'web1')).toEqual(['ssh-ed25519']);
    expect(knownKeyTypes(entries, 'web9')).toEqual([]);
  });
});

/* Internal: the host key decision for one connection attempt (pinned fingerprints, known_hosts or insecure). */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { SshExecutorError } from './errors.js';
import {
  fingerprintOf,
  type KnownHostEntry,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
  verifyKnownHost,
} from './known-hosts.js';

/** Host key algorithms ssh2 accepts, in its default preference order. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

/** known_hosts files OpenSSH reads by default. */
export const DEFAULT_KNOWN_HOSTS: readonly string[] = ['~/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts'];

/** What decides whether a host key is trusted. */
export interface HostKeyPolicy {
  readonly hostName: string;
  readonly host: string;
  readonly port: number;
  readonly fingerprints?: readonly string[] | undefined;
  readonly knownHosts: readonly string[];
  readonly insecure: boolean;
}

/** One connection attempt's verifier; `failure` holds the typed error once a key was refused. */
export interface HostKeyCheck {
  /** Host key algorithms to offer, the types the policy knows for this host first. */
  readonly algorithms: string[];
  /** ssh2's synchronous `hostVerifier` (raw key blob in, accept out). */
  verify(key: Buffer): boolean;
  readonly failure: SshExecutorError | undefined;
  /** Fingerprint of the key the server presented. */
  readonly fingerprint: string | undefined;
}

const expandHome = (path: string): string => (path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);

async function readKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    const path = expandHome(file);
    try {
      all.push(...parseKnownHosts(await readFile(path, 'utf8'), path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return all;
}

/** Reads the policy's files (again for every connection, so edits apply) and returns the verifier. */
export async function prepareHostKeyCheck(policy: HostKeyPolicy): Promise<HostKeyCheck> {
  const name = knownHostName(policy.host, policy.port);
  const address = `${policy.host}:${policy.port}`;
  const entries = policy.insecure || policy.fingerprints !== undefined ? [] : await readKnownHosts(policy.knownHosts);
  const preferred = new Set(
    knownKeyTypes(entries, name).flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])),
  );
  const algorithms = [
    ...HOST_KEY_ALGORITHMS.filter((a) => preferred.has(a)),
    ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.has(a)),
  ];
  let failure: SshExecutorError | undefined;
  let fingerprint: string | undefined;
  const base = { host: policy.hostName, address };

  return {
    algorithms,
    get failure() {
      return failure;
    },
    get fingerprint() {
      return fingerprint;
    },
    verify(key) {
      fingerprint = fingerprintOf(key);
      if (policy.insecure) return true;
      if (policy.fingerprints !== undefined) {
        if (policy.fingerprints.includes(fingerprint)) return true;
        failure = new SshExecutorError('FL_SSH_HOST_KEY_MISMATCH', {
          ...base,
          fingerprint,
          expected: policy.fingerprints,
          source: 'hostKeyFingerprints',
        });
        return false;
      }
      const verdict = verifyKnownHost(entries, name, key);
      switch (verdict.status) {
        case 'match':
          return true;
        case 'revoked':
          failure = new SshExecutorError('FL_SSH_HOST_KEY_REVOKED', { ...base, fingerprint, file: verdict.source });
          return false;
        case 'mismatch':
          failure = new SshExecutorError('FL_SSH_HOST_KEY_MISMATCH', {
            ...base,
            fingerprint,
            expected: verdict.expected,
            source: 'knownHosts',
          });
          return false;
        case 'unknown':
          failure = new SshExecutorError('FL_SSH_HOST_KEY_UNKNOWN', {
            ...base,
            fingerprint,
            knownHosts: policy.knownHosts.map(expandHome),
          });
          return false;
      }
    },
  };
}

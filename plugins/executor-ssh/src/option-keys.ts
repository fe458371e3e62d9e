import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { SshExecutorError } from './errors.js';
import type { SshExecutorOptions, SshHostOptions } from './options.js';

const HOST_KEYS = allKeys<SshHostOptions>()([
  'maxConnections',
  'maxChannelsPerConnection',
  'idleTimeoutMs',
  'connectTimeoutMs',
  'keepaliveIntervalMs',
  'keepaliveCountMax',
  'host',
  'port',
  'username',
  'privateKey',
  'privateKeyPath',
  'passphrase',
  'agent',
  'knownHosts',
  'hostKeyFingerprints',
  'insecureAcceptAnyHostKey',
  'env',
  'cwd',
]);
/** Keys of `createSshExecutor` options. */
export const EXECUTOR_KEYS: readonly string[] = allKeys<SshExecutorOptions>()([
  'maxConnections',
  'maxChannelsPerConnection',
  'idleTimeoutMs',
  'connectTimeoutMs',
  'keepaliveIntervalMs',
  'keepaliveCountMax',
  'hosts',
  'defaultHost',
  'knownHosts',
  'killGraceMs',
  'maxOutputBytes',
  'logger',
]);

/**
 * Throws `FL_SSH_INVALID_OPTION` for the first unknown key of the executor's options or of one of its hosts, naming
 * the closest known key (`prot` → `port`, `privateKeyFile` → `privateKeyPath`).
 */
export function rejectUnknownKeys(options: unknown, known: readonly string[] = EXECUTOR_KEYS): void {
  const reject = (value: unknown, keys: readonly string[], host: string | undefined): void => {
    const [u] = unknownKeys(value, keys);
    if (u !== undefined)
      throw new SshExecutorError('FL_SSH_INVALID_OPTION', {
        ...(host === undefined ? {} : { host }),
        option: u.key,
        reason: `unknown option; ${unknownKeyHint(u, keys)}`,
      });
  };
  reject(options, known, undefined);
  const hosts = (options as { hosts?: unknown } | null)?.hosts;
  if (typeof hosts === 'object' && hosts !== null)
    for (const [name, host] of Object.entries(hosts)) reject(host, HOST_KEYS, name);
}

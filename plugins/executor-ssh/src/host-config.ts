/* Internal: validation of the executor's options and what a connection to each host needs. */
import { userInfo } from 'node:os';
import { SshExecutorError } from './errors.js';
import { DEFAULT_KNOWN_HOSTS } from './host-key-check.js';
import { resolvePoolSettings, type SshExecutorOptions, type SshHostOptions } from './options.js';
import { isEnvName } from './shell-quote.js';
import type { ConnectionTarget } from './ssh-connection.js';

/** Throws `FL_SSH_INVALID_OPTION` unless `value` is a positive (or, with `allowZero`, non-negative) number. */
export function positive(option: string, value: number, host: string | undefined, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
    throw new SshExecutorError('FL_SSH_INVALID_OPTION', {
      host,
      option,
      reason: `expected a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    });
}

/** Validates one host's options and turns them into what a connection needs. */
export function connectionTarget(name: string, host: SshHostOptions, options: SshExecutorOptions): ConnectionTarget {
  const invalid = (option: string, reason: string) =>
    new SshExecutorError('FL_SSH_INVALID_OPTION', { host: name, option, reason });
  if (typeof host.host !== 'string' || host.host === '') throw invalid('host', 'a host name or address is required');
  const port = host.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalid('port', `${port} is not a TCP port`);
  const settings = resolvePoolSettings(host, options);
  positive('maxConnections', settings.maxConnections, name);
  positive('maxChannelsPerConnection', settings.maxChannelsPerConnection, name);
  positive('idleTimeoutMs', settings.idleTimeoutMs, name, true);
  positive('connectTimeoutMs', settings.connectTimeoutMs, name);
  positive('keepaliveIntervalMs', settings.keepaliveIntervalMs, name, true);
  positive('keepaliveCountMax', settings.keepaliveCountMax, name);
  for (const key of Object.keys(host.env ?? {}))
    if (!isEnvName(key)) throw invalid('env', `"${key}" is not a valid variable name`);
  if (host.privateKey !== undefined && host.privateKeyPath !== undefined)
    throw invalid('privateKey', 'give privateKey or privateKeyPath, not both');
  let agent: string | undefined;
  if (host.agent === true) {
    agent = process.env.SSH_AUTH_SOCK;
    if (!agent) throw invalid('agent', 'agent: true needs SSH_AUTH_SOCK to be set');
  } else agent = host.agent;
  if (agent === undefined && host.privateKey === undefined && host.privateKeyPath === undefined) {
    agent = process.env.SSH_AUTH_SOCK || undefined;
    if (agent === undefined) throw invalid('privateKey', 'no credentials: set privateKey, privateKeyPath or agent');
  }
  const fingerprints = host.hostKeyFingerprints?.map((f) => f.trim().replace(/=+$/, ''));
  for (const f of fingerprints ?? [])
    if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(f))
      throw invalid('hostKeyFingerprints', `"${f}" is not a SHA256 fingerprint as ssh-keygen -l prints it`);
  if (fingerprints?.length === 0) throw invalid('hostKeyFingerprints', 'the list is empty');
  const knownHosts = host.knownHosts ?? options.knownHosts ?? DEFAULT_KNOWN_HOSTS;
  return {
    hostName: name,
    host: host.host,
    port,
    username: host.username ?? userInfo().username,
    privateKey: host.privateKey,
    privateKeyPath: host.privateKeyPath,
    passphrase: host.passphrase,
    agent,
    settings,
    hostKey: {
      hostName: name,
      host: host.host,
      port,
      fingerprints,
      knownHosts: typeof knownHosts === 'string' ? [knownHosts] : knownHosts,
      insecure: host.insecureAcceptAnyHostKey === true,
    },
  };
}

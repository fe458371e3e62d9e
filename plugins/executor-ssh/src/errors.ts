import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The SSH executor's own error codes (prefix `FL_SSH_`), beside core's `FL_EXEC_FAILED`, `FL_TIMEOUT`,
 * `FL_CANCELLED` and `FL_EXEC_OUTPUT_LIMIT`. Codes are stable: never renamed, never reused. The README lists each
 * with its meaning and fix; a test keeps the two in sync.
 */
export const SshErrorCodes = {
  /* Configuration */
  FL_SSH_INVALID_OPTION: (p: { host?: string | undefined; option: string; reason: string }) =>
    `${p.host === undefined ? 'SSH executor' : `SSH host "${p.host}"`}: invalid ${p.option}: ${p.reason}.`,
  FL_SSH_HOST_NOT_CONFIGURED: (p: { host: string; configured: readonly string[] }) =>
    `SSH host "${p.host}" is not configured (configured: ${p.configured.join(', ') || 'none'}). Add it to hosts or fix the node's executor target.`,
  FL_SSH_TARGET_REQUIRED: (p: { configured: readonly string[] }) =>
    `No SSH host was given. Use executor: { name: 'ssh', target } with one of ${p.configured.join(', ') || 'no configured hosts'}, or set defaultHost.`,

  /* Connecting */
  FL_SSH_CONNECTION_REFUSED: (p: { host: string; address: string; reason: string }) =>
    `SSH host "${p.host}" (${p.address}) refused the connection: ${p.reason}. Check that sshd runs and listens on that port.`,
  FL_SSH_HOST_UNREACHABLE: (p: { host: string; address: string; reason: string }) =>
    `SSH host "${p.host}" (${p.address}) is unreachable: ${p.reason}. Check the host name, DNS and the network route.`,
  FL_SSH_TIMEOUT: (p: { host: string; address: string; ms: number }) =>
    `SSH host "${p.host}" (${p.address}) did not complete the connection, handshake and login within ${p.ms} ms. Check firewalls and the server's load, or raise connectTimeoutMs.`,
  FL_SSH_AUTH_FAILED: (p: { host: string; address: string; username: string; reason: string }) =>
    `SSH login as "${p.username}" on host "${p.host}" (${p.address}) failed: ${p.reason}. Check the user, the key (and its passphrase) or agent, and the server's authorized_keys.`,
  FL_SSH_HOST_KEY_MISMATCH: (p: {
    host: string;
    address: string;
    fingerprint: string;
    expected: readonly string[];
    source: 'knownHosts' | 'hostKeyFingerprints';
  }) =>
    `The host key of SSH host "${p.host}" (${p.address}) is ${p.fingerprint}, which does not match ${p.source === 'knownHosts' ? 'its known_hosts entries' : 'the pinned hostKeyFingerprints'} (${p.expected.join(', ')}). The server may have been reinstalled, or someone may be intercepting the connection: verify the new key out of band before updating ${p.source}.`,
  FL_SSH_HOST_KEY_UNKNOWN: (p: { host: string; address: string; fingerprint: string; knownHosts: readonly string[] }) =>
    `SSH host "${p.host}" (${p.address}) offered host key ${p.fingerprint}, which no known_hosts file lists (searched: ${p.knownHosts.join(', ') || 'none'}). Verify the fingerprint out of band, then add the key (ssh-keyscan) or pin it with hostKeyFingerprints.`,
  FL_SSH_HOST_KEY_REVOKED: (p: { host: string; address: string; fingerprint: string; file: string }) =>
    `The host key ${p.fingerprint} of SSH host "${p.host}" (${p.address}) is marked @revoked in ${p.file}. Do not connect; ask the server's administrator for its current key.`,
  FL_SSH_CONNECTION_FAILED: (p: { host: string; address: string; reason: string }) =>
    `SSH connection to host "${p.host}" (${p.address}) failed: ${p.reason}.`,
  FL_SSH_CONNECTION_LOST: (p: { host: string; address: string; reason: string }) =>
    `The SSH connection to host "${p.host}" (${p.address}) was lost: ${p.reason}. The next command opens a new connection; a command that was running may still be running on the host.`,

  /* Channels and files */
  FL_SSH_CHANNEL_FAILED: (p: { host: string; kind: 'exec' | 'sftp'; reason: string }) =>
    `Opening an SSH ${p.kind} channel on host "${p.host}" failed: ${p.reason}. If the server limits sessions (MaxSessions), lower maxChannelsPerConnection.`,
  FL_SSH_PATH_NOT_FOUND: (p: { side: 'local' | 'remote'; path: string; host: string }) =>
    p.side === 'local'
      ? `Local path "${p.path}" does not exist. Fix the source path of copyIn.`
      : `Path "${p.path}" does not exist on SSH host "${p.host}". Fix the source path of copyOut.`,
  FL_SSH_SFTP_FAILED: (p: { host: string; operation: string; path: string; reason: string }) =>
    `SFTP ${p.operation} of "${p.path}" on SSH host "${p.host}" failed: ${p.reason}.`,
  FL_SSH_EXECUTOR_DISPOSED: (p: { host: string }) =>
    `The SSH executor was disposed; host "${p.host}" takes no more work. Create a new executor (or engine).`,
} as const;

/** Every `FL_SSH_` code. */
export type SshErrorCode = keyof typeof SshErrorCodes;
/** Typed details of an SSH error with code `C`. */
export type SshErrorDetails<C extends SshErrorCode> = Parameters<(typeof SshErrorCodes)[C]>[0];

/**
 * An error raised by the SSH executor: a stable `code` from {@link SshErrorCodes} and typed `details`. Built with
 * core's `definePluginErrors`, so it carries core's error brand: `isFlowlaneError(err)` is true and events
 * serialise its code and details.
 *
 * @example
 * ```ts
 * import type { Executor } from '@flowlane/core';
 * import { isSshExecutorError } from '@flowlane/executor-ssh';
 *
 * declare const executor: Executor; // createSshExecutor(…)
 * try { await executor.exec('uptime', { target: 'web1' }).result; }
 * catch (e) { if (isSshExecutorError(e, 'FL_SSH_HOST_KEY_MISMATCH')) console.error(e.details.fingerprint); }
 * ```
 */
export const SshExecutorError = definePluginErrors('SshExecutorError', SshErrorCodes);
/** An {@link SshExecutorError} with code `C` (typed details). */
export type SshExecutorError<C extends SshErrorCode = SshErrorCode> = PluginError<typeof SshErrorCodes, C>;

/**
 * True for an {@link SshExecutorError} (optionally with code `code`), also one from another copy of this package.
 *
 * @example
 * ```ts
 * import { isSshExecutorError } from '@flowlane/executor-ssh';
 *
 * declare const err: unknown; // caught from a command on the ssh executor
 * if (isSshExecutorError(err, 'FL_SSH_AUTH_FAILED')) console.error(err.details.username);
 * ```
 */
export function isSshExecutorError<C extends SshErrorCode = SshErrorCode>(
  value: unknown,
  code?: C,
): value is SshExecutorError<C> {
  return SshExecutorError.is(value, code);
}

import { describe, expect, it } from 'vitest';
import { mapConnectError } from './connect-error.js';
import { SshExecutorError } from './errors.js';

const ctx = { host: 'web1', address: 'web1.internal:22', username: 'deploy', connectTimeoutMs: 1234 };
const sysError = (code: string, level = 'client-socket') =>
  Object.assign(new Error(`connect ${code}`), { code, level });

describe('mapConnectError', () => {
  it.each([
    ['ECONNREFUSED', 'FL_SSH_CONNECTION_REFUSED'],
    ['EHOSTUNREACH', 'FL_SSH_HOST_UNREACHABLE'],
    ['ENETUNREACH', 'FL_SSH_HOST_UNREACHABLE'],
    ['ENOTFOUND', 'FL_SSH_HOST_UNREACHABLE'],
    ['EAI_AGAIN', 'FL_SSH_HOST_UNREACHABLE'],
    ['ETIMEDOUT', 'FL_SSH_TIMEOUT'],
    ['ECONNRESET', 'FL_SSH_CONNECTION_FAILED'],
  ])('maps socket error %s to %s', (code, expected) => {
    const mapped = mapConnectError(sysError(code), ctx);
    expect(mapped.code).toBe(expected);
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it('maps ssh2 levels: authentication, handshake timeout, DNS', () => {
    const auth = Object.assign(new Error('All configured authentication methods failed'), {
      level: 'client-authentication',
    });
    expect(mapConnectError(auth, ctx)).toMatchObject({
      code: 'FL_SSH_AUTH_FAILED',
      details: { username: 'deploy', reason: 'All configured authentication methods failed' },
    });
    const timeout = Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' });
    expect(mapConnectError(timeout, ctx)).toMatchObject({ code: 'FL_SSH_TIMEOUT', details: { ms: 1234 } });
    expect(mapConnectError(Object.assign(new Error('lookup'), { level: 'client-dns' }), ctx).code).toBe(
      'FL_SSH_HOST_UNREACHABLE',
    );
  });

  it('treats unusable keys (bad passphrase, unparsable key) as an authentication failure', () => {
    expect(mapConnectError(new Error('Cannot parse privateKey: Bad passphrase'), ctx).code).toBe('FL_SSH_AUTH_FAILED');
  });

  it('passes typed errors through', () => {
    const typed = new SshExecutorError('FL_SSH_TARGET_REQUIRED', { configured: [] });
    expect(mapConnectError(typed, ctx)).toBe(typed);
  });
});

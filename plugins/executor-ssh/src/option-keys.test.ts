import { describe, expect, it } from 'vitest';
import { isSshExecutorError } from './errors.js';
import { createSshExecutor } from './ssh-executor.js';
import { sshExecutor } from './ssh-executor-plugin.js';

const host = { host: '127.0.0.1', username: 'deploy', privateKey: 'not read before the options are checked' };
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('unknown option keys', () => {
  it('the plugin and createSshExecutor reject a misspelt key, top level or per host, naming the closest known key', () => {
    const e = thrown(() => sshExecutor({ hosts: { web1: host }, defaultHots: 'web1' } as never));
    expect(isSshExecutorError(e, 'FL_SSH_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toContain('did you mean "defaultHost"?');
    expect(thrown(() => sshExecutor({ hosts: { web1: { ...host, prot: 2222 } } } as never))).toMatchObject({
      code: 'FL_SSH_INVALID_OPTION',
      details: { host: 'web1', option: 'prot' },
    });
    expect(
      thrown(() => createSshExecutor({ hosts: { web1: { ...host, privateKeyFile: '/k' } } } as never)),
    ).toMatchObject({ code: 'FL_SSH_INVALID_OPTION', details: { host: 'web1', option: 'privateKeyFile' } });
    expect(
      (thrown(() => createSshExecutor({ hosts: { web1: host }, name: 'ssh' } as never)) as Error).message,
    ).toContain('name');
    // The plugin's own `name` is known to the plugin.
    expect(thrown(() => sshExecutor({ hosts: { web1: host }, name: 'ssh2' }))).toBeUndefined();
  });
});

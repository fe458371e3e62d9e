import { describe, expect, it } from 'vitest';
import { createDockerExecutor } from './docker-executor.js';
import { dockerExecutor } from './docker-executor-plugin.js';
import { isDockerExecutorError } from './errors.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('unknown option keys', () => {
  it('the plugin and createDockerExecutor reject misspelt keys at every level, naming the closest known key', () => {
    const e = thrown(() => dockerExecutor({ defaultTargt: 'ci' } as never));
    expect(isDockerExecutorError(e, 'FL_DOCKER_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toBe(
      'Docker executor: invalid defaultTargt: unknown option; did you mean "defaultTarget"?',
    );
    const cases: [unknown, { target?: string; option: string }][] = [
      [{ connection: { socket: '/run/docker.sock' } }, { option: 'connection.socket' }],
      [{ registryAuth: { username: 'u', password: 'p', server: 'r' } }, { option: 'registryAuth.server' }],
      [{ targets: { ci: { mode: 'run', imgae: 'alpine' } } }, { target: 'ci', option: 'imgae' }],
      [{ targets: { app: { mode: 'exec', container: 'web', image: 'x' } } }, { target: 'app', option: 'image' }],
      [
        { targets: { ci: { mode: 'run', image: 'a', mounts: [{ target: '/x', readonly: true }] } } },
        { target: 'ci', option: 'mounts[0].readonly' },
      ],
      [
        { targets: { ci: { mode: 'run', image: 'a', resources: { memory: 1 } } } },
        { target: 'ci', option: 'resources.memory' },
      ],
      [{ targets: { ci: { image: 'a' } } }, { target: 'ci', option: 'mode' }],
    ];
    for (const [options, details] of cases)
      expect(
        thrown(() => createDockerExecutor(options as never)),
        details.option,
      ).toMatchObject({
        code: 'FL_DOCKER_INVALID_OPTION',
        details,
      });
    expect(
      thrown(() =>
        dockerExecutor({
          name: 'box',
          targets: { ci: { mode: 'run', image: 'a', mounts: [{ target: '/x', readOnly: true }] } },
        }),
      ),
    ).toBeUndefined();
  });
});

import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { DockerExecutorError } from './errors.js';
import type {
  DockerConnectionOptions,
  DockerExecTarget,
  DockerExecutorOptions,
  DockerMount,
  DockerRegistryAuth,
  DockerResources,
  DockerRunTarget,
} from './options.js';

/** Keys of `createDockerExecutor` options. */
export const EXECUTOR_KEYS: readonly string[] = allKeys<DockerExecutorOptions>()([
  'connection',
  'targets',
  'defaultTarget',
  'pullPolicy',
  'registryAuth',
  'maxOutputBytes',
]);
const CONNECTION_KEYS = allKeys<DockerConnectionOptions>()([
  'socketPath',
  'host',
  'port',
  'protocol',
  'ca',
  'cert',
  'key',
  'timeout',
]);
const AUTH_KEYS = allKeys<DockerRegistryAuth>()(['username', 'password', 'serveraddress']);
const RUN_KEYS = allKeys<DockerRunTarget>()([
  'mode',
  'image',
  'env',
  'workdir',
  'user',
  'mounts',
  'resources',
  'network',
  'keep',
  'pullPolicy',
  'labels',
]);
const EXEC_KEYS = allKeys<DockerExecTarget>()(['mode', 'container', 'env', 'workdir', 'user', 'killable']);
const MOUNT_KEYS = allKeys<DockerMount>()(['type', 'source', 'target', 'readOnly']);
const RESOURCE_KEYS = allKeys<DockerResources>()(['memoryBytes', 'cpus', 'pidsLimit']);

/**
 * Throws `FL_DOCKER_INVALID_OPTION` for the first unknown key of the executor's options, its connection, registry
 * auth or one of its targets (with their mounts and resources), naming the closest known key (`imgae` → `image`).
 */
export function rejectUnknownKeys(options: unknown, known: readonly string[] = EXECUTOR_KEYS): void {
  const reject = (value: unknown, keys: readonly string[], prefix: string, target?: string): void => {
    const [u] = unknownKeys(value, keys);
    if (u !== undefined)
      throw new DockerExecutorError('FL_DOCKER_INVALID_OPTION', {
        ...(target === undefined ? {} : { target }),
        option: `${prefix}${u.key}`,
        reason: `unknown option; ${unknownKeyHint(u, keys)}`,
      });
  };
  reject(options, known, '');
  const o = (typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>;
  reject(o.connection, CONNECTION_KEYS, 'connection.');
  reject(o.registryAuth, AUTH_KEYS, 'registryAuth.');
  if (typeof o.targets !== 'object' || o.targets === null) return;
  for (const [name, t] of Object.entries(o.targets as Record<string, unknown>)) {
    if (typeof t !== 'object' || t === null) continue;
    const spec = t as Record<string, unknown>;
    if (spec.mode !== 'run' && spec.mode !== 'exec')
      throw new DockerExecutorError('FL_DOCKER_INVALID_OPTION', {
        target: name,
        option: 'mode',
        reason: `expected 'run' (a fresh container per command) or 'exec' (a running container), got ${String(spec.mode)}`,
      });
    reject(spec, spec.mode === 'run' ? RUN_KEYS : EXEC_KEYS, '', name);
    if (Array.isArray(spec.mounts))
      for (const [i, m] of spec.mounts.entries()) reject(m, MOUNT_KEYS, `mounts[${i}].`, name);
    reject(spec.resources, RESOURCE_KEYS, 'resources.', name);
  }
}

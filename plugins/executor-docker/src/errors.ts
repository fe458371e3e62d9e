import { definePluginErrors, type PluginError } from '@flowlane/core';

/** The executor's pull policies (see `DockerRunTarget.pullPolicy`). */
export type PullPolicy = 'never' | 'if-not-present' | 'always';

/**
 * The Docker executor's own error codes (prefix `FL_DOCKER_`), beside core's `FL_EXEC_FAILED`, `FL_TIMEOUT`,
 * `FL_CANCELLED` and `FL_EXEC_OUTPUT_LIMIT`. Codes are stable: never renamed, never reused. The README lists each
 * with its meaning and fix; a test keeps the two in sync.
 */
export const DockerErrorCodes = {
  FL_DOCKER_UNREACHABLE: (p: { endpoint: string; reason: string }) =>
    `The Docker daemon at ${p.endpoint} is unreachable: ${p.reason}. Start Docker or fix the executor's docker options.`,
  FL_DOCKER_IMAGE_NOT_FOUND: (p: { image: string; pullPolicy: PullPolicy }) =>
    `Image "${p.image}" is not present on the Docker host and pullPolicy is "${p.pullPolicy}". Load or pull it first, or use pullPolicy "if-not-present".`,
  FL_DOCKER_IMAGE_PULL_FAILED: (p: { image: string; pullPolicy: PullPolicy; reason: string }) =>
    `Image "${p.image}" could not be pulled (pullPolicy "${p.pullPolicy}"): ${p.reason}. Check the name, registry access and registryAuth, or load the image and use pullPolicy "never".`,
  FL_DOCKER_CONTAINER_NOT_FOUND: (p: { container: string }) =>
    `No container "${p.container}" exists. Start it first, fix the target, or configure a run target with that name.`,
  FL_DOCKER_CONTAINER_NOT_RUNNING: (p: { container: string; state: string }) =>
    `Container "${p.container}" is ${p.state}, not running. Start it before exec'ing into it.`,
  FL_DOCKER_TARGET_REQUIRED: (p: { targets: readonly string[] }) =>
    `No Docker target was given. Use executor: { name: 'docker', target } with a configured target (${p.targets.join(', ') || 'none configured'}) or a running container's name, or set defaultTarget.`,
  FL_DOCKER_PATH_NOT_FOUND: (p: { side: 'local' | 'container'; path: string; container?: string | undefined }) =>
    p.side === 'local'
      ? `Local path "${p.path}" does not exist. Fix the source path of copyIn.`
      : `Path "${p.path}" does not exist in container "${p.container ?? '?'}". Fix the source path of copyOut.`,
  FL_DOCKER_API_ERROR: (p: { operation: string; statusCode: number | null; reason: string }) =>
    `Docker API call "${p.operation}" failed${p.statusCode === null ? '' : ` (HTTP ${p.statusCode})`}: ${p.reason}.`,
  FL_DOCKER_INVALID_OPTION: (p: { target?: string | undefined; option: string; reason: string }) =>
    `Docker executor${p.target === undefined ? '' : ` target "${p.target}"`}: invalid ${p.option}: ${p.reason}.`,
} as const;

/** Every `FL_DOCKER_` code. */
export type DockerErrorCode = keyof typeof DockerErrorCodes;
/** Typed details of a Docker error with code `C`. */
export type DockerErrorDetails<C extends DockerErrorCode> = Parameters<(typeof DockerErrorCodes)[C]>[0];

/**
 * An error raised by the Docker executor: a stable `code` from {@link DockerErrorCodes} and typed `details`.
 * Carries core's error brand, so `isFlowlaneError(err)` is true and events serialise its code and details.
 *
 * @example
 * ```ts
 * import type { Executor } from '@flowlane/core';
 * import { isDockerExecutorError } from '@flowlane/executor-docker';
 *
 * declare const executor: Executor; // createDockerExecutor(…)
 * try { await executor.exec('true', { target: 'ci' }).result; }
 * catch (e) { if (isDockerExecutorError(e, 'FL_DOCKER_IMAGE_NOT_FOUND')) console.log(e.details.image); }
 * ```
 */
export const DockerExecutorError = definePluginErrors('DockerExecutorError', DockerErrorCodes);
/** A {@link DockerExecutorError} with code `C` (typed details). */
export type DockerExecutorError<C extends DockerErrorCode = DockerErrorCode> = PluginError<typeof DockerErrorCodes, C>;

/**
 * True for a {@link DockerExecutorError} (optionally with code `code`), also one from another copy of this package.
 *
 * @example
 * ```ts
 * import { isDockerExecutorError } from '@flowlane/executor-docker';
 *
 * declare const err: unknown; // caught from a command on the docker executor
 * if (isDockerExecutorError(err, 'FL_DOCKER_CONTAINER_NOT_FOUND')) console.log(err.details.container);
 * ```
 */
export function isDockerExecutorError<C extends DockerErrorCode = DockerErrorCode>(
  value: unknown,
  code?: C,
): value is DockerExecutorError<C> {
  return DockerExecutorError.is(value, code);
}

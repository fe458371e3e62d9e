/** Script that installs every package the real-service helpers need (see the package README). */
const SETUP_SCRIPT = 'scripts/setup-test-services.sh';

/**
 * Error codes of `@flowlane/testing`, each with the message it produces. Codes are never renamed or reused.
 */
export const TestingErrorCodes = {
  FL_TEST_SERVICE_MISSING: (p: { binary: string; installCommand: string }) =>
    `${p.binary} not found. Install it with: ${p.installCommand} (or run ${SETUP_SCRIPT})`,
  FL_TEST_SERVICE_START_FAILED: (p: { service: string; reason: string; output: string }) =>
    `${p.service} failed to start: ${p.reason}.${p.output ? `\nLast output of ${p.service}:\n${p.output}` : ''}`,
} as const;

/** A code of {@link TestingErrorCodes}. */
export type TestingErrorCode = keyof typeof TestingErrorCodes;

/**
 * Thrown when a service binary (redis-server, sshd, prometheus, dockerd, busybox…) is not installed.
 * Tests never skip silently: the suite fails with a message that names the exact install command.
 *
 * @example
 * ```ts
 * import { ServiceUnavailableError, startRedis } from '@flowlane/testing';
 *
 * try {
 *   await using redis = await startRedis();
 * } catch (err) {
 *   if (err instanceof ServiceUnavailableError) console.error(err.installCommand);
 *   throw err;
 * }
 * ```
 */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  readonly code = 'FL_TEST_SERVICE_MISSING' as const;

  constructor(
    /** Service that could not be started, e.g. `redis`. */
    readonly service: string,
    /** Binary that was looked for, e.g. `redis-server`. */
    readonly binary: string,
    /** Shell command that installs it, e.g. `sudo apt-get install -y --no-install-recommends redis-server`. */
    readonly installCommand: string,
  ) {
    super(TestingErrorCodes.FL_TEST_SERVICE_MISSING({ binary, installCommand }));
  }
}

/**
 * Thrown when a service process exits before it is ready or does not become ready in time. The message ends
 * with the last lines the process wrote to stdout/stderr.
 *
 * @example
 * ```ts
 * import { ServiceStartError, startRedis } from '@flowlane/testing';
 *
 * await startRedis({ extraArgs: ['--no-such-directive', 'x'] }).catch((err: unknown) => {
 *   if (err instanceof ServiceStartError) console.error(err.output); // redis-server's own complaint
 * });
 * ```
 */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  readonly code = 'FL_TEST_SERVICE_START_FAILED' as const;

  constructor(
    /** Service that failed, e.g. `redis`. */
    readonly service: string,
    /** What went wrong, e.g. `exited with code 1 before it was ready`. */
    readonly reason: string,
    /** Tail of the process output (stdout + stderr), possibly empty. */
    readonly output: string,
    options?: { cause?: unknown } | undefined,
  ) {
    super(TestingErrorCodes.FL_TEST_SERVICE_START_FAILED({ service, reason, output }), options);
  }
}

import { FlowlaneError, isFlowlaneError } from '../errors.js';

/**
 * The error an executor's `copyIn` / `copyOut` rejects with when its `signal` aborted: the signal's reason when it is
 * already a `FlowlaneError` (e.g. the engine's cancellation), else `FL_CANCELLED` naming the copied path, with the
 * reason as `cause`.
 *
 * @example
 * ```ts
 * import { copyCancelled, type CopyOptions, type CopyResult } from '@flowlane/core';
 *
 * // In an executor's copyIn / copyOut:
 * async function copyIn(localPath: string, remotePath: string, options: CopyOptions = {}): Promise<CopyResult> {
 *   if (options.signal?.aborted) throw copyCancelled(options.signal, localPath);
 *   // … copy localPath to remotePath
 *   return { bytes: 0, files: 0 };
 * }
 * ```
 */
export function copyCancelled(signal: AbortSignal, path: string): Error {
  return isFlowlaneError(signal.reason)
    ? signal.reason
    : new FlowlaneError(
        'FL_CANCELLED',
        { executionId: '-', reason: `copy of "${path}" aborted` },
        { cause: signal.reason },
      );
}

import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The BullMQ queue's error codes (prefix `FL_BULLMQ_`), each a function from typed details to the message. Codes are
 * stable: never renamed, never reused. The README lists each with its meaning and fix.
 *
 * @example
 * ```ts
 * import { BullmqErrorCodes } from '@flowlane/queue-bullmq';
 * console.log('FL_BULLMQ_UNKNOWN_GROUP' in BullmqErrorCodes); // true
 * ```
 */
export const BullmqErrorCodes = {
  FL_BULLMQ_INVALID_OPTION: (p: { where: string; option: string; reason: string }) =>
    `Invalid ${p.where} option "${p.option}": ${p.reason}.`,
  FL_BULLMQ_UNREACHABLE: (p: { url: string; ms: number; reason: string }) =>
    `Redis at ${p.url} did not answer within ${p.ms} ms: ${p.reason}. Start Redis there, or fix the connection URL (host, port, password, TLS).`,
  FL_BULLMQ_UNKNOWN_GROUP: (p: { nodeId: string; group: string; groups: readonly string[] }) =>
    `Node "${p.nodeId}" runs on group "${p.group}", which bullmqDispatch() does not know (groups: ${p.groups.join(', ') || 'none'}). Add it to groups, or fix runOn.`,
  FL_BULLMQ_UNSERIALIZABLE: (p: { nodeId: string; what: string; path: string; reason: string }) =>
    `The ${p.what} of node "${p.nodeId}" cannot be sent through the queue: ${p.path} ${p.reason}. Use JSON-safe values (plus Date, BigInt, Map, Set, Uint8Array), or run the node with runOn: 'local'.`,
  FL_BULLMQ_PAYLOAD_TOO_LARGE: (p: { nodeId: string; what: string; bytes: number; limit: number }) =>
    `The ${p.what} of node "${p.nodeId}" is ${p.bytes} bytes encoded, over the ${p.limit}-byte limit. Pass a reference (a path, an artifact, a key) instead, or raise maxPayloadBytes.`,
  FL_BULLMQ_UNKNOWN_WORKFLOW: (p: { workflow: string; version: string; worker: string }) =>
    `Worker ${p.worker} has no workflow "${p.workflow}"${p.version === '' ? '' : ` version ${p.version}`}. Pass it in createWorker({ workflows }) (workers need the coordinator's workflow code).`,
  FL_BULLMQ_JOB_FORMAT: (p: { nodeId: string; jobId: string; format: string; reason: string }) =>
    `The job ${p.jobId} of node "${p.nodeId}" (job format ${p.format}) cannot run: ${p.reason}. Run workers of the coordinators' @flowlane/queue-bullmq version or newer (upgrade a group's workers before its coordinators).`,
  FL_BULLMQ_WORKER_LOST: (p: { nodeId: string; jobId: string; reason: string }) =>
    `The worker running node "${p.nodeId}" (job ${p.jobId}) was lost: ${p.reason}. The node's retry policy decides whether it runs again.`,
  FL_BULLMQ_REMOTE_FAILED: (p: { nodeId: string; message: string }) =>
    `Node "${p.nodeId}" failed on its worker: ${p.message}`,
  FL_BULLMQ_CHILD_FAILED: (p: {
    nodeId: string;
    executionId: string;
    group: string;
    status: string;
    message: string;
  }) =>
    `The child run ${p.executionId} of subworkflow node "${p.nodeId}" on coordinator group "${p.group}" ended ${p.status}: ${p.message}`,
  FL_BULLMQ_RUN_LOST: (p: { executionId: string; reason: string }) =>
    `Run ${p.executionId} was lost by the coordinators of its queue: ${p.reason}. Enqueue it again (with a store installed, the coordinator that takes it resumes it from its log).`,
  FL_BULLMQ_RUN_NOT_FOUND: (p: { executionId: string; queue: string; prefix: string }) =>
    `No run ${p.executionId} on queue "${p.queue}" (prefix "${p.prefix}"): it was never enqueued there, or it finished over a day ago and its result was removed. Check the id and queuePrefix.`,
  FL_BULLMQ_DUPLICATE_RUN: (p: { executionId: string; where: string }) =>
    `Run id ${p.executionId} is taken: ${p.where}. A new run needs a new executionId (the earlier run's result: engine.waitForResult(id)).`,
  FL_BULLMQ_CLOSED: (p: { operation: string }) =>
    `Cannot do ${p.operation}: the engine's bullmqDispatch() plugin is closed.`,
} as const;

/** Every `FL_BULLMQ_` code. */
export type BullmqErrorCode = keyof typeof BullmqErrorCodes;

/**
 * An error raised by `@flowlane/queue-bullmq`: a stable `code` from {@link BullmqErrorCodes} and typed `details`.
 *
 * @example
 * ```ts
 * import { BullmqError } from '@flowlane/queue-bullmq';
 * const e = new BullmqError('FL_BULLMQ_UNKNOWN_GROUP', { nodeId: 'a', group: 'gpu', groups: ['cpu'] });
 * console.log(BullmqError.is(e, 'FL_BULLMQ_UNKNOWN_GROUP')); // true
 * ```
 */
export const BullmqError = definePluginErrors('BullmqError', BullmqErrorCodes);
/** A {@link BullmqError} with code `C` (typed details). */
export type BullmqError<C extends BullmqErrorCode = BullmqErrorCode> = PluginError<typeof BullmqErrorCodes, C>;

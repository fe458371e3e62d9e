export { DEFAULT_MAX_PAYLOAD_BYTES, decodePayload, encodePayload } from './codec.js';
export type { BullmqDispatchOptions } from './dispatch.js';
export { bullmqDispatch } from './dispatch.js';
export type { BullmqErrorCode } from './errors.js';
export { BullmqError, BullmqErrorCodes } from './errors.js';
export type { NodeJobData, NodeProgress } from './protocol.js';
export { CORE_RANGE, PKG_VERSION } from './version.js';
export type { CreateWorkerOptions, FlowlaneWorker } from './worker.js';
export { createWorker } from './worker.js';

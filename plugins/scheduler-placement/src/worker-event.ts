import type { WorkerDownEvent, WorkerUpEvent } from '@flowlane/core';

export type { WorkerDownEvent, WorkerUpEvent } from '@flowlane/core';

/**
 * Worker health changes, on a placement scheduler's `events$` (alias `workerEvents$`). The engine republishes them
 * on `engine.systemEvents$` (with `scheduler` set) and logs them.
 */
export type WorkerEvent = WorkerDownEvent | WorkerUpEvent;

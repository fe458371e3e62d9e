/** A worker left the rotation: its health check failed (or `markDown` was called). */
export interface WorkerDownEvent {
  readonly type: 'worker.down';
  readonly workerId: string;
  readonly reason: string;
  /** Clock time. */
  readonly timestamp: number;
}

/** A worker rejoined the rotation. */
export interface WorkerUpEvent {
  readonly type: 'worker.up';
  readonly workerId: string;
  readonly timestamp: number;
}

/** Worker health changes, on a placement scheduler's `workerEvents$`. */
export type WorkerEvent = WorkerDownEvent | WorkerUpEvent;

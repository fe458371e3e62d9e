import type { QueuedRun } from '@flowlane/core';
import { encodePayload } from './codec.js';
import { bullPriority } from './protocol.js';

/*
 * The run jobs of the run queue (`engine.enqueue` runs and child runs of subworkflow nodes with `runOn`): their data,
 * queues, ids and job options, shared by the producer (run-queue.ts, child-runs.ts) and the consumer (serve-runs.ts).
 */

/** What a run job carries (the codec's text in `payload`: `{ input, actor }`). */
export interface RunJobData {
  readonly workflow: string;
  readonly version: string;
  readonly executionId: string;
  readonly payload: string;
  /** Set on a subworkflow node's child run: its events are sent back to the parent run (job progress). */
  readonly parentExecutionId?: string | undefined;
  /**
   * The enqueuer's context (`engine.enqueue`: core's context propagators, e.g. W3C `traceparent`), handed to
   * `api.runQueue.start` on the coordinator that serves the run. Absent when empty.
   */
  readonly carrier?: Readonly<Record<string, string>> | undefined;
}

/** A child run's event sent back through job progress (the codec's text of the event). */
export interface RunProgress {
  readonly t: 'run-event';
  readonly e: string;
  /** The event's place (1, 2, …) in the child run's event list (`keys.childEvents`), absent if it could not be kept. */
  readonly i?: number | undefined;
}

/** BullMQ queue of the runs of `engine.enqueue`, and of the child runs sent to a coordinator group. */
export const ENQUEUED_RUNS_QUEUE = 'flowlane-runs';
/** The queue of the child runs (subworkflow nodes with `runOn`) of coordinator group `group`. */
export const childRunsQueue = (group: string): string => `flowlane-runs-${group}`;
/** A run's job id (BullMQ job ids may not contain ':'). */
export const runJobId = (executionId: string): string => `run.${encodeURIComponent(executionId)}`;

/** How long a parent's node → child run mapping, a run id claim and a child run's events are kept (a day). */
export const INFLIGHT_TTL_MS = 86_400_000;

/** BullMQ options of a run job. */
export const runJobOptions = (executionId: string, priority: number | undefined) => ({
  jobId: runJobId(executionId),
  priority: bullPriority(priority),
  // A run's job is tried again only when its coordinator dies (stalled); a run's own failure is its result.
  attempts: 1,
  removeOnComplete: { age: 86_400 },
  removeOnFail: { age: 86_400 },
});

/** The job data of `run` (a child run of `parentExecutionId` when given); the input is encoded within `limit`. */
export const runJobData = (run: QueuedRun, limit: number | undefined, parentExecutionId?: string): RunJobData => ({
  workflow: run.workflow,
  version: run.version ?? '',
  executionId: run.executionId,
  payload: encodePayload(
    { input: run.input, ...(run.actor === undefined ? {} : { actor: run.actor }) },
    {
      nodeId: parentExecutionId === undefined ? '(enqueued run)' : run.executionId,
      what: 'run input',
      limit,
    },
  ),
  ...(parentExecutionId === undefined ? {} : { parentExecutionId }),
  ...(run.carrier === undefined || Object.keys(run.carrier).length === 0 ? {} : { carrier: run.carrier }),
});

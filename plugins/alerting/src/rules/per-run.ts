/* Internal: split the event stream into one stream per top-level run, with O(1) routing per event. */
import type { FlowEvent, WorkflowStartedEvent } from '@flowlane/core';
import { Observable, Subject } from 'rxjs';
import { isRunEnd, isRunStart } from './events.js';

/** One run's events: `start` is its `workflow.started`; `events$` emits the rest and completes after its end event. */
export interface RunStream {
  readonly start: WorkflowStartedEvent;
  readonly events$: Observable<FlowEvent>;
}

/**
 * Like `groupBy(executionId)` for runs (of `workflow`, when given): one subscription to `events$`, a map from
 * execution id to the run's subject, entries removed when the run settles (the end event is delivered first).
 */
export function perRun(events$: Observable<FlowEvent>, workflow: string | undefined): Observable<RunStream> {
  return new Observable<RunStream>((out) => {
    const runs = new Map<string, Subject<FlowEvent>>();
    const started = isRunStart(workflow);
    const sub = events$.subscribe({
      next: (e) => {
        if (started(e)) {
          const s = new Subject<FlowEvent>();
          runs.set(e.executionId, s);
          out.next({ start: e, events$: s.asObservable() });
          return;
        }
        const s = runs.get(e.executionId);
        if (s === undefined) return;
        s.next(e);
        if (isRunEnd(e)) {
          runs.delete(e.executionId);
          s.complete();
        }
      },
      error: (err: unknown) => out.error(err),
      complete: () => out.complete(),
    });
    return () => {
      sub.unsubscribe();
      for (const s of runs.values()) s.complete();
      runs.clear();
    };
  });
}

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
 * execution id to the run's subject, entries removed when the run settles (the end event is delivered first). With
 * `children`, the events of its subworkflow runs (any depth) go to the top-level run's stream as well.
 */
export function perRun(
  events$: Observable<FlowEvent>,
  workflow: string | undefined,
  { children = false }: { readonly children?: boolean } = {},
): Observable<RunStream> {
  return new Observable<RunStream>((out) => {
    const runs = new Map<string, Subject<FlowEvent>>();
    /** With `children`: the top-level run of each subworkflow run in flight (their events go to its stream too). */
    const tops = new Map<string, string>();
    const started = isRunStart(workflow);
    const sub = events$.subscribe({
      next: (e) => {
        if (children && e.type === 'workflow.started' && e.parentExecutionId !== undefined) {
          const top = runs.has(e.parentExecutionId) ? e.parentExecutionId : tops.get(e.parentExecutionId);
          if (top !== undefined) tops.set(e.executionId, top);
        }
        if (started(e)) {
          const s = new Subject<FlowEvent>();
          runs.set(e.executionId, s);
          out.next({ start: e, events$: s.asObservable() });
          return;
        }
        let id = e.executionId;
        if (children) {
          id = tops.get(id) ?? id;
          if (id !== e.executionId && isRunEnd(e)) tops.delete(e.executionId);
        }
        const s = runs.get(id);
        if (s === undefined) return;
        s.next(e);
        if (isRunEnd(e) && e.executionId === id) {
          runs.delete(id);
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
      tops.clear();
    };
  });
}

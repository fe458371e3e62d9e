import type {
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
  WorkflowStartedEvent,
} from '../contracts/events.js';
import type { RunEventsView, RunWatcher } from '../plugin/contracts/run-events.js';

/** A plugin's {@link RunWatcher} with the failure reporter of its plugin. */
export interface RunWatcherHook {
  readonly watcher: RunWatcher;
  readonly fail: (e: { readonly type: string }, error: unknown) => void;
}

/** The engine's run watchers (`PluginApi.watchRuns`): told when each run starts and settles, failures contained. */
export class RunWatchers {
  readonly hooks: RunWatcherHook[] = [];

  started(run: RunEventsView, e: WorkflowStartedEvent): void {
    for (const h of this.hooks) {
      try {
        h.watcher.started?.(run, e);
      } catch (error) {
        h.fail(e, error);
      }
    }
  }

  settled(run: RunEventsView, e: WorkflowCompletedEvent | WorkflowFailedEvent | WorkflowCancelledEvent): void {
    for (const h of this.hooks) {
      try {
        h.watcher.settled?.(run, e);
      } catch (error) {
        h.fail(e, error);
      }
    }
  }
}

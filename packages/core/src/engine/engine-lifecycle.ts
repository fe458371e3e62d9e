import { FlowlaneError } from '../errors.js';
import { checkPlugins, setupPlugins } from '../plugin/plugin-host.js';
import type { FlowlanePlugin } from '../plugin/types.js';
import { closeEngine } from './close-engine.js';
import type { EngineCore, SubmitRun } from './engine-core.js';
import { pluginHostTarget } from './engine-events.js';
import { autoResume, type ResumeHost } from './resume-run.js';
import { failBeforeStart } from './run-stop.js';

/**
 * How long `engine.close()` waits for a plugin's setup still running after aborting its `api.signal`; then it goes on
 * without it (the plugin is torn down when its setup settles), so `close()` always settles.
 */
export const SETUP_CLOSE_GRACE_MS = 5000;

/**
 * Sets up an engine's plugins: static checks throw here (shape, core range, dependencies); `setup` runs in the
 * background (`core.ready`). On success the engine becomes ready; on failure queued runs and runs waiting for flow
 * control fail with the setup error, and so does every later run. Without plugins the engine is ready at once.
 */
export function setupEngine(core: EngineCore, plugins: readonly FlowlanePlugin[], submit: SubmitRun): void {
  checkPlugins(plugins);
  if (plugins.length === 0) {
    becomeReady(core);
    return;
  }
  // The engine as the plugin host sees it (registrations land in `core.rt`).
  const { rt, ownerOf, events, durable, flow, runs } = core;
  const host = pluginHostTarget({ rt, ownerOf, events, durable, flow, runs, run: submit });
  const abort = new AbortController();
  let giveUp!: (e: unknown) => void;
  const givenUp = new Promise<never>((_, reject) => (giveUp = reject));
  givenUp.catch(() => undefined);
  let grace: ReturnType<typeof setTimeout> | undefined;
  core.abortSetup = () => {
    if (abort.signal.aborted) return;
    const closed = new FlowlaneError('FL_ENGINE_CLOSED', {});
    abort.abort(closed);
    grace = setTimeout(() => giveUp(closed), SETUP_CLOSE_GRACE_MS);
  };
  const settled = () => {
    clearTimeout(grace);
    core.abortSetup = undefined;
  };
  core.ready = setupPlugins(plugins, host, { signal: abort.signal, givenUp }).then(
    (disposers) => {
      settled();
      core.disposers.push(...disposers);
      becomeReady(core);
    },
    (e: unknown) => {
      settled();
      core.readyError = e;
      for (const x of core.runs.queued.splice(0)) failBeforeStart(x, e);
      core.flow.failAll(e);
      throw e;
    },
  );
  core.ready.catch(() => undefined);
}

/** Plugins are set up: the scheduler's events are relayed, queued runs start, `resume: 'auto'` scans. */
function becomeReady(core: EngineCore): void {
  core.isReady = true;
  core.events.watchScheduler(core.rt.scheduler, core.rt.logger);
  core.runs.drain();
  core.durable.startScanning((id) => autoResume(resumeHost(core), id));
}

/** What resuming a run needs from the engine (see resume-run.ts). */
export function resumeHost(core: EngineCore): ResumeHost {
  return {
    rt: core.rt,
    durable: core.durable,
    runs: core.runs,
    closed: () => core.closed,
    ready: () => core.ready ?? Promise.resolve(),
  };
}

/** `engine.close()`: once; later calls get the same promise (see close-engine.ts for the order). */
export function shutDownEngine(core: EngineCore): Promise<void> {
  if (core.closing !== undefined) return core.closing;
  core.closed = true;
  core.closing = closeEngine({
    rt: core.rt,
    stopIntake: [core.triggers, core.schedules],
    flow: core.flow,
    ready: core.ready,
    abortSetup: core.abortSetup,
    durable: core.durable,
    runs: () => [...core.runs.active.values()],
    background: core.background,
    disposers: core.disposers,
    events: core.events,
  });
  return core.closing;
}

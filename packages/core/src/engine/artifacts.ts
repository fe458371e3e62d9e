import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowlaneError } from '../errors.js';
import type { RunArtifacts, RunHost } from './run-host.js';

/**
 * A run's artifacts: files a node's `artifacts.out` collected from its executor into the run's staging directory
 * (created on first use), delivered to the executors of nodes that name them in `artifacts.in`; the directory is
 * removed when the run settles.
 */
export class ArtifactStage implements RunArtifacts {
  readonly #baseDir: string | undefined;
  #staging: Promise<string> | undefined;
  #paths: Map<string, string> | undefined;

  constructor(baseDir: string | undefined) {
    this.#baseDir = baseDir;
  }

  /** The run's staging directory, created on first use. */
  #dir(): Promise<string> {
    this.#staging ??= mkdtemp(join(this.#baseDir ?? tmpdir(), 'flowlane-artifacts-'));
    return this.#staging;
  }

  /** Copies node `i`'s `artifacts.in` from the staging area to its executor. */
  async deliver(h: RunHost, i: number): Promise<void> {
    const wanted = h.g.defs[i]!.options.artifacts?.in ?? [];
    if (wanted.length === 0) return;
    const { executor, target } = h.executorFor(i);
    for (const w of wanted) {
      const path = this.#paths?.get(w.name);
      if (path === undefined) throw new FlowlaneError('FL_ARTIFACT_NOT_FOUND', { nodeId: h.g.ids[i]!, name: w.name });
      const r = await executor.copyIn(path, w.to, { target, signal: h.runSignal() });
      h.emit({
        type: 'artifact.delivered',
        executionId: h.executionId,
        workflow: h.workflow,
        timestamp: h.rt.clock.now(),
        nodeId: h.g.ids[i]!,
        name: w.name,
        to: w.to,
        bytes: r.bytes,
        files: r.files,
      });
    }
  }

  /** Copies node `i`'s `artifacts.out` from its executor into the staging area. */
  async collect(h: RunHost, i: number): Promise<void> {
    const produced = h.g.defs[i]!.options.artifacts?.out ?? [];
    if (produced.length === 0) return;
    const { executor, target } = h.executorFor(i);
    const dir = await this.#dir();
    for (const o of produced) {
      const dest = join(dir, o.name);
      const r = await executor.copyOut(o.from, dest, { target, signal: h.runSignal() });
      (this.#paths ??= new Map()).set(o.name, dest);
      h.emit({
        type: 'artifact.collected',
        executionId: h.executionId,
        workflow: h.workflow,
        timestamp: h.rt.clock.now(),
        nodeId: h.g.ids[i]!,
        name: o.name,
        from: o.from,
        bytes: r.bytes,
        files: r.files,
        ...(r.sha256 === undefined ? {} : { sha256: r.sha256 }),
      });
    }
  }

  /** Removes the staging directory (if one was made); the engine's `close()` waits for it through `track`. */
  cleanup(h: RunHost): void {
    if (this.#staging === undefined) return;
    h.rt.track(
      this.#staging
        .then((dir) => rm(dir, { recursive: true, force: true }))
        .catch((e: unknown) => h.rt.logger.warn('could not remove the artifact staging dir', { error: String(e) })),
    );
  }
}

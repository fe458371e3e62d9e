import type { FlowKeyContext } from '../../contracts/flow-control.js';
import { FlowlaneError, isFlowlaneError } from '../../errors.js';
import type { Execution } from '../execution.js';
import { dropBeforeStart, failBeforeStart } from '../run-stop.js';
import type { CancelOnBoard, CancelOnListener } from './cancel-on.js';
import { keyOf } from './keys.js';
import type { NodeGate } from './node-gate.js';

interface ChildWait {
  readonly ctrl: AbortController;
  readonly listener: CancelOnListener;
  /** The slot key the child holds once admitted (undefined: none, or it runs under an ancestor's slot). */
  slot: string | undefined;
  release: (() => void) | undefined;
  unlisten: (() => void) | undefined;
}

/**
 * Subworkflow runs of workflows with flow-control options: gated by their **own** workflow's `concurrency`,
 * `rateLimit` (both modes) and `cancelOn`, like a node attempt — they wait for their key, never for engine room
 * (`maxConcurrentRuns` counts top-level runs, and a parent holding an engine slot while its child waits for one
 * could deadlock), and without fairness or priority between keys. A child whose slot key an ancestor run holds
 * (the same workflow name and key — a workflow nested in itself by name) runs under the ancestor's slot instead
 * of waiting for it: that wait could never end. Different workflows never share slot keys, and built workflows
 * cannot contain themselves, so no other hold-and-wait cycle between a parent and its children exists.
 */
export class ChildGate {
  readonly #nodes: NodeGate;
  readonly #cancelOn: CancelOnBoard;
  /** The slot key a run holds as a top-level run of the gate (undefined: none). */
  readonly #topLevelSlot: (exec: Execution) => string | undefined;
  readonly #waits = new Map<Execution, ChildWait>();

  constructor(nodes: NodeGate, cancelOn: CancelOnBoard, topLevelSlot: (exec: Execution) => string | undefined) {
    this.#nodes = nodes;
    this.#cancelOn = cancelOn;
    this.#topLevelSlot = topLevelSlot;
  }

  /** Admit `exec` (a subworkflow run) under its workflow's options, then call `start`. */
  enter(exec: Execution, input: unknown, signal: AbortSignal | undefined, start: () => void): void {
    const wf = exec.workflowRef;
    const opts = wf.flowControl ?? {};
    const ctx: FlowKeyContext = { input, executionId: exec.executionId, workflow: wf.name };
    let slot: { key: string; limit: number } | undefined;
    let rate: { key: string; rateKey: string } | undefined;
    try {
      const c = opts.concurrency;
      if (c !== undefined)
        slot = { key: `${wf.name}:concurrency:${keyOf(c.key, ctx, 'concurrency.key')}`, limit: c.limit };
      if (opts.rateLimit !== undefined) {
        const rateKey = keyOf(opts.rateLimit.key, ctx, 'rateLimit.key');
        rate = { key: `${wf.name}:rate:${rateKey}`, rateKey };
      }
    } catch (e) {
      failBeforeStart(exec, e);
      return;
    }
    if (slot !== undefined && this.#ancestorHolds(exec, slot.key)) slot = undefined;
    const w: ChildWait = {
      ctrl: new AbortController(),
      listener: { exec, opts, ctx },
      slot: undefined,
      release: undefined,
      unlisten: undefined,
    };
    this.#waits.set(exec, w);
    this.#cancelOn.watch(w.listener);
    if (signal !== undefined) {
      // The parent's node was aborted while the child waits (after start, the run listens itself).
      const onAbort = (): void => exec.cancel('aborted by the caller');
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      w.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    const r = opts.rateLimit;
    this.#nodes
      .enter({
        slot,
        rate:
          r === undefined || rate === undefined
            ? undefined
            : {
                key: rate.key,
                limit: r.limit,
                period: r.period,
                drop:
                  r.mode === 'drop'
                    ? () =>
                        new FlowlaneError('FL_RATE_LIMITED', {
                          executionId: exec.executionId,
                          workflow: wf.name,
                          key: rate.rateKey,
                          limit: r.limit,
                          period: r.period,
                        })
                    : undefined,
              },
        holder: exec.executionId,
        signal: w.ctrl.signal,
      })
      .then(
        (release) => {
          if (this.#waits.get(exec) !== w) {
            release(); // settled while the backend answered
            return;
          }
          w.release = release;
          w.slot = slot?.key;
          w.unlisten?.();
          w.unlisten = undefined;
          start();
        },
        (e: unknown) => {
          if (this.#waits.get(exec) !== w) return; // settled while waiting: nothing to report
          if (isFlowlaneError(e, 'FL_RATE_LIMITED')) dropBeforeStart(exec, e as FlowlaneError);
          else failBeforeStart(exec, e);
        },
      );
  }

  /** Whether `exec` is a subworkflow run this gate knows. */
  has(exec: Execution): boolean {
    return this.#waits.has(exec);
  }

  /** A subworkflow run ended: stop its wait, give back its slot. */
  settled(exec: Execution): void {
    const w = this.#waits.get(exec);
    if (w === undefined) return;
    this.#waits.delete(exec);
    this.#cancelOn.unwatch(w.listener);
    w.unlisten?.();
    w.ctrl.abort();
    w.release?.();
  }

  /** Whether a run above `exec` holds `slot` (as a top-level run or as a subworkflow run). */
  #ancestorHolds(exec: Execution, slot: string): boolean {
    for (let p = exec.parentRun; p !== undefined; p = p.parentRun)
      if (this.#topLevelSlot(p) === slot || this.#waits.get(p)?.slot === slot) return true;
    return false;
  }
}

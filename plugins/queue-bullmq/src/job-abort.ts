/**
 * A running job's abort, without an `AbortController` until the node reads `ctx.signal` (or runs a command): most
 * nodes never look, and a controller per job costs more than a trivial node. A cancellation that arrives before the
 * node looks makes the signal already aborted, with the same reason.
 */
export class JobAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

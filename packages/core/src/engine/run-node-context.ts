import type { InjectionToken } from 'tsyringe';
import type { AuditInput, ExecFn, NodeContext } from '../builder/types.js';
import type { CustomEvent } from '../contracts/events.js';
import { FlowlaneError } from '../errors.js';
import { validateExecArgs } from '../executor/validate-exec-args.js';
import { isTimerMs, timerReason } from '../options/timer-ms.js';
import { unknownKeyHint, unknownKeys } from '../options/unknown-keys.js';
import type { Actor, ExecHandle, ExecOptions, ExecutionStorage, NodeLogger } from '../plugin/types.js';
import { checkEventName } from './event-name.js';

/**
 * What a node's context needs from its run (the run implements it; node `i` is the node's index in the graph).
 * Owned here so the context does not depend on the run's class (execution → run-node-context, one way).
 */
export interface NodeServices {
  readonly input: unknown;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly executionId: string;
  readonly workflow: string;
  readonly actor: Actor | undefined;
  idOf(i: number): string;
  workerOf(i: number): string | undefined;
  runSignal(): AbortSignal;
  log(
    i: number,
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Readonly<Record<string, unknown>>,
  ): void;
  storage(): ExecutionStorage;
  execHandle(
    i: number,
    command: string,
    options: Omit<ExecOptions, 'signal'> | undefined,
    signal: AbortSignal,
  ): ExecHandle;
  emitCustom(i: number, name: string, payload: unknown): void;
  getCustom(name: string): CustomEvent | undefined;
  waitForEvent(i: number, name: string, timeout: number | undefined, signal: AbortSignal): Promise<CustomEvent>;
  waitForSignal(i: number, name: string, timeout: number | undefined, signal: AbortSignal): Promise<unknown>;
  getSecret(name: string): Promise<string>;
  markSecret(value: string): void;
  audit(i: number, record: AuditInput): Promise<void>;
  resolve<T>(token: InjectionToken<T>): T;
}

/**
 * The context object a node function receives. One small object per attempt; everything else (signal, logger,
 * storage, exec) is created on first use.
 */
export class RunNodeContext implements NodeContext {
  readonly #x: NodeServices;
  readonly #i: number;
  readonly attempt: number;
  readonly #ctrl: AbortController | undefined;
  #signal: AbortSignal | undefined;
  #log: NodeLogger | undefined;
  #exec: ExecFn | undefined;

  constructor(x: NodeServices, i: number, attempt: number, ctrl?: AbortController) {
    this.#x = x;
    this.#i = i;
    this.attempt = attempt;
    this.#ctrl = ctrl;
  }

  get input(): unknown {
    return this.#x.input;
  }
  get results(): Readonly<Record<string, unknown>> {
    return this.#x.outputs;
  }
  get executionId(): string {
    return this.#x.executionId;
  }
  get workflow(): string {
    return this.#x.workflow;
  }
  get nodeId(): string {
    return this.#x.idOf(this.#i);
  }
  get actor(): Actor | undefined {
    return this.#x.actor;
  }
  get workerId(): string | undefined {
    return this.#x.workerOf(this.#i);
  }
  /**
   * `<executionId>:<nodeId>`: the same for every attempt of this node in this run, and after the run is resumed in
   * another process. Pass it to the systems a node changes (payment APIs, `SET NX`, upserts) so a node that runs
   * again after a crash (at-least-once) does its side effect once.
   */
  get idempotencyKey(): string {
    return `${this.#x.executionId}:${this.#x.idOf(this.#i)}`;
  }
  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const run = this.#x.runSignal();
      this.#signal = this.#ctrl === undefined ? run : AbortSignal.any([run, this.#ctrl.signal]);
    }
    return this.#signal;
  }
  get log(): NodeLogger {
    if (this.#log === undefined) {
      const x = this.#x;
      const i = this.#i;
      this.#log = {
        debug: (m, f) => x.log(i, 'debug', m, f),
        info: (m, f) => x.log(i, 'info', m, f),
        warn: (m, f) => x.log(i, 'warn', m, f),
        error: (m, f) => x.log(i, 'error', m, f),
      };
    }
    return this.#log;
  }
  get storage(): ExecutionStorage {
    return this.#x.storage();
  }
  get exec(): ExecFn {
    if (this.#exec === undefined) {
      const x = this.#x;
      const i = this.#i;
      const fn = ((command: string, options?: Omit<ExecOptions, 'signal'>) => {
        try {
          validateExecArgs(this.nodeId, command, options);
        } catch (e) {
          return Promise.reject(e);
        }
        return x.execHandle(i, command, options, this.signal).result;
      }) as ExecFn;
      fn.stream = (command, options) => {
        validateExecArgs(this.nodeId, command, options);
        return x.execHandle(i, command, options, this.signal);
      };
      this.#exec = fn;
    }
    return this.#exec;
  }

  emitEvent(name: string, payload?: unknown): void {
    checkEventName(this.nodeId, name);
    this.#x.emitCustom(this.#i, name, payload);
  }
  getEvent<P = unknown>(name: string): CustomEvent<P> | undefined {
    return this.#x.getCustom(name) as CustomEvent<P> | undefined;
  }
  waitForEvent<P = unknown>(name: string, options?: { timeout?: number | undefined }): Promise<CustomEvent<P>> {
    const bad = this.#badWait('waitForEvent', name, options);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#x.waitForEvent(this.#i, name, options?.timeout, this.signal) as Promise<CustomEvent<P>>;
  }
  waitForSignal<P = unknown>(name: string, options?: { timeout?: number | undefined }): Promise<P> {
    const bad = this.#badWait('waitForSignal', name, options);
    if (bad !== undefined) return Promise.reject(bad);
    return this.#x.waitForSignal(this.#i, name, options?.timeout, this.signal) as Promise<P>;
  }
  /** `FL_INVALID_OPTION` for a wait without a name, with unknown options, or with a timeout no timer can honour. */
  #badWait(what: string, name: unknown, options: unknown): FlowlaneError | undefined {
    const reason = (option: string, r: string) =>
      new FlowlaneError('FL_INVALID_OPTION', { nodeId: this.nodeId, option: `${what} ${option}`, reason: r });
    if (typeof name !== 'string' || name === '') return reason('name', 'expected a non-empty string');
    if (options === undefined) return undefined;
    if (typeof options !== 'object' || options === null)
      return reason('options', 'expected an object like { timeout: 5000 }');
    const [u] = unknownKeys(options, ['timeout']);
    if (u !== undefined) return reason(u.key, `unknown option; ${unknownKeyHint(u, ['timeout'])}`);
    const t = (options as { timeout?: unknown }).timeout;
    if (t !== undefined && !isTimerMs(t)) return reason('timeout', timerReason(t));
    return undefined;
  }
  getSecret(name: string): Promise<string> {
    return this.#x.getSecret(name);
  }
  markSecret(value: string): void {
    this.#x.markSecret(value);
  }
  audit(record: AuditInput): Promise<void> {
    return this.#x.audit(this.#i, record);
  }
  resolve<T>(token: InjectionToken<T>): T {
    return this.#x.resolve(token);
  }
}

/* Internal: the context of a node attempt run by runNodeOnWorker. One object per job whose parts (redactor, logger,
   exec) are built when the node first touches them: most nodes read their input and results and return. */
import type { InjectionToken } from 'tsyringe';
import type { NodeDef } from '../builder/node-def.js';
import type { AuditInput, ExecFn, NodeContext } from '../builder/types.js';
import { FlowlaneError } from '../errors.js';
import { validateExecArgs } from '../executor/validate-exec-args.js';
import type { Actor, ExecOptions, ExecutionStorage, NodeLogger, PropagationScope } from '../plugin/types.js';
import { Redactor } from '../runtime/redactor.js';
import type { EngineServices } from './engine-services.js';
import { checkEventName } from './event-name.js';
import { withPropagatedEnv } from './propagation.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** What the context reads of runNodeOnWorker's `RemoteRequest` (declared there; not imported: no import cycle). */
interface RemoteRequest {
  readonly executionId: string;
  readonly attempt: number;
  readonly input: unknown;
  readonly results: Readonly<Record<string, unknown>>;
  readonly actor?: Actor | undefined;
  readonly signal: AbortSignal;
  readonly workerId?: string | undefined;
  readonly onLog?: ((level: Level, message: string, fields: unknown) => void) | undefined;
  readonly onEvent?: ((name: string, payload: unknown) => void) | undefined;
}

export class RemoteNodeContext implements NodeContext {
  readonly input: unknown;
  readonly results: Readonly<Record<string, unknown>>;
  readonly executionId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly actor: Actor | undefined;
  readonly workerId: string | undefined;
  readonly #rt: EngineServices;
  readonly #def: NodeDef;
  readonly #req: RemoteRequest;
  #redactor: Redactor | undefined;
  #log: NodeLogger | undefined;
  #exec: ExecFn | undefined;
  #scope: PropagationScope | undefined;

  constructor(
    rt: EngineServices,
    readonly workflow: string,
    def: NodeDef,
    req: RemoteRequest,
  ) {
    this.#rt = rt;
    this.#def = def;
    this.#req = req;
    this.input = req.input;
    this.results = req.results;
    this.executionId = req.executionId;
    this.nodeId = def.id;
    this.attempt = req.attempt;
    this.actor = req.actor;
    this.workerId = req.workerId;
  }

  /** Read from the request when the node (or its `exec`) first asks: a worker may make the signal on that read. */
  get signal(): AbortSignal {
    return this.#req.signal;
  }

  get idempotencyKey(): string {
    return `${this.executionId}:${this.nodeId}`;
  }

  /** The attempt's redactor: the engine's `redact.also` values and the secrets this node read or marked. */
  static redactorOf(c: RemoteNodeContext): Redactor {
    if (c.#redactor === undefined) {
      c.#redactor = new Redactor();
      for (const v of c.#rt.redactAlso) c.#redactor.add(v);
    }
    return c.#redactor;
  }

  /** What context propagators get for this attempt. */
  static scopeOf(c: RemoteNodeContext): PropagationScope {
    c.#scope ??= {
      executionId: c.executionId,
      workflow: c.workflow,
      nodeId: c.nodeId,
      attempt: c.attempt,
      ...(c.workerId === undefined ? {} : { workerId: c.workerId }),
    };
    return c.#scope;
  }

  get log(): NodeLogger {
    if (this.#log === undefined) {
      const at =
        (level: Level) =>
        (message: string, fields?: Record<string, unknown>): void =>
          this.#req.onLog?.(
            level,
            RemoteNodeContext.redactorOf(this).string(String(message)),
            fields === undefined ? undefined : RemoteNodeContext.redactorOf(this).value(fields),
          );
      this.#log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    }
    return this.#log;
  }

  get exec(): ExecFn {
    if (this.#exec === undefined) {
      const handle = (command: string, options?: Omit<ExecOptions, 'signal'>) => this.#handle(command, options);
      const exec = ((command: string, options?: Omit<ExecOptions, 'signal'>) => {
        try {
          return handle(command, options).result;
        } catch (e) {
          return Promise.reject(e);
        }
      }) as ExecFn;
      exec.stream = handle;
      this.#exec = exec;
    }
    return this.#exec;
  }

  #handle(command: string, options?: Omit<ExecOptions, 'signal'>) {
    const rt = this.#rt;
    const nodeId = this.nodeId;
    validateExecArgs(nodeId, command, options);
    const sel = this.#def.options.executor;
    const name = sel === undefined ? 'local' : typeof sel === 'string' ? sel : sel.name;
    const executor = rt.executors.get(name);
    if (executor === undefined)
      throw new FlowlaneError('FL_EXECUTOR_NOT_FOUND', { nodeId, executor: name, available: [...rt.executors.keys()] });
    const target = options?.target ?? (typeof sel === 'object' ? sel.target : undefined) ?? this.workerId;
    return executor.exec(command, {
      ...withPropagatedEnv(rt.propagators, RemoteNodeContext.scopeOf(this), rt.logger, options),
      signal: this.signal,
      executionId: this.executionId,
      nodeId,
      ...(target === undefined ? {} : { target }),
    });
  }

  #unsupported(what: string): FlowlaneError {
    return new FlowlaneError('FL_INVALID_OPTION', {
      nodeId: this.nodeId,
      option: what,
      reason: 'not available to a node running on a remote worker; run the node with runOn: "local"',
    });
  }

  emitEvent(name: string, payload?: unknown): void {
    checkEventName(this.nodeId, name);
    this.#req.onEvent?.(name, RemoteNodeContext.redactorOf(this).value(payload));
  }

  getEvent(): never {
    throw this.#unsupported('getEvent');
  }

  waitForEvent(): Promise<never> {
    return Promise.reject(this.#unsupported('waitForEvent'));
  }

  waitForSignal(): Promise<never> {
    return Promise.reject(this.#unsupported('waitForSignal'));
  }

  get storage(): ExecutionStorage {
    throw this.#unsupported('storage');
  }

  async getSecret(name: string): Promise<string> {
    const secrets = this.#rt.secrets;
    for (const p of secrets) {
      const v = await p.get(name);
      if (v !== undefined) {
        RemoteNodeContext.redactorOf(this).add(v);
        return v;
      }
    }
    throw new FlowlaneError('FL_SECRET_NOT_FOUND', { name, providers: secrets.map((p) => p.name) });
  }

  markSecret(value: string): void {
    if (typeof value !== 'string')
      throw new FlowlaneError('FL_INVALID_OPTION', { option: 'markSecret value', reason: 'expected a string' });
    RemoteNodeContext.redactorOf(this).add(value);
  }

  async audit(record: AuditInput): Promise<void> {
    const stamped = RemoteNodeContext.redactorOf(this).value({
      ...record,
      executionId: this.executionId,
      workflow: this.workflow,
      nodeId: this.nodeId,
      ...(this.actor === undefined ? {} : { actor: this.actor.id }),
      timestamp: this.#rt.clock.now(),
    });
    await Promise.all(this.#rt.auditSinks.map((s) => s.write(stamped as never)));
  }

  resolve<T>(token: InjectionToken<T>): T {
    return this.#rt.container.resolve(token);
  }
}

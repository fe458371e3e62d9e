/**
 * The one table of Flowlane error codes. Codes are stable: never renamed, never reused.
 * Each entry turns typed details into a message that says what happened and what to fix.
 */
export const ErrorCodes = {
  /* Definition (build) */
  FL_INVALID_WORKFLOW: (p: { workflow: string; problems: readonly { code: string; message: string }[] }) =>
    `Workflow "${p.workflow}" is invalid (${p.problems.length} problem${p.problems.length === 1 ? '' : 's'}):\n` +
    p.problems.map((x) => `  - [${x.code}] ${x.message}`).join('\n'),
  FL_DUPLICATE_NODE: (p: { nodeId: string }) =>
    `Node "${p.nodeId}" is defined more than once. Give each node a unique id.`,
  FL_MISSING_DEPENDENCY: (p: { nodeId: string; dependency: string }) =>
    `Node "${p.nodeId}" depends on "${p.dependency}", which is not defined. Add that node or remove the dependency.`,
  FL_CYCLE: (p: { path: readonly string[] }) => `Dependency cycle: ${p.path.join(' → ')}. Remove one edge.`,
  FL_UNKNOWN_FALLBACK: (p: { nodeId: string; fallback: string }) =>
    `Node "${p.nodeId}" names fallback "${p.fallback}", which is not defined. Add that node or fix the name.`,
  FL_FALLBACK_CYCLE: (p: { path: readonly string[] }) =>
    `Fallback cycle: ${p.path.join(' → ')}. A fallback chain must end in a node without a fallback.`,
  FL_EMPTY_WORKFLOW: (p: { workflow: string }) => `Workflow "${p.workflow}" has no nodes. Add at least one node.`,
  FL_INVALID_OPTION: (p: { nodeId?: string | undefined; where?: string | undefined; option: string; reason: string }) =>
    `${p.nodeId === undefined ? (p.where ?? 'Workflow') : `Node "${p.nodeId}"`}: invalid ${p.option}: ${p.reason}.`,
  FL_UNKNOWN_OPTION: (p: { nodeId?: string | undefined; option: string; suggestion?: string | undefined }) =>
    `${p.nodeId === undefined ? 'Workflow' : `Node "${p.nodeId}"`}: unknown option "${p.option}"` +
    (p.suggestion === undefined ? '. Remove it or check the spelling.' : `; did you mean "${p.suggestion}"?`),
  FL_EMPTY_GROUP: (p: { group: string }) =>
    `Parallel group "${p.group}" has no nodes, so the next node would depend on nothing. Give parallel() at least one node.`,
  FL_UNKNOWN_BOUNDARY_TARGET: (p: { nodeId: string; target: string }) =>
    `Error boundary "${p.nodeId}" lists "${p.target}" in forNodes, which is not defined. Fix the name.`,

  /* Runs */
  FL_NOT_A_WORKFLOW: (p: { got: string }) =>
    `Expected a built workflow, got ${p.got}. Call .build() on the WorkflowBuilder and pass the result.`,
  FL_INVALID_INPUT: (p: { workflow: string; issues: readonly string[] }) =>
    `Input of workflow "${p.workflow}" is invalid: ${p.issues.join('; ')}. Pass an input that matches the schema.`,
  FL_NODE_FAILED: (p: { nodeId: string; reason: string }) =>
    `Node "${p.nodeId}" failed: ${p.reason}. Add retry, a fallback, an error boundary or onError: 'continue' to recover.`,
  FL_TIMEOUT: (p: { nodeId: string; ms: number }) =>
    `Node "${p.nodeId}" timed out after ${p.ms} ms. Raise its timeout or make it honour ctx.signal.`,
  FL_CANCELLED: (p: { executionId: string; reason: string }) =>
    `Execution "${p.executionId}" was cancelled: ${p.reason}.`,
  FL_SIGNAL_TIMEOUT: (p: { nodeId: string; signal: string; ms: number }) =>
    `Node "${p.nodeId}" waited ${p.ms} ms for signal "${p.signal}" and none arrived. Send it with run.signal("${p.signal}", payload) or raise the timeout.`,
  FL_EVENT_TIMEOUT: (p: { nodeId: string; event: string; ms: number }) =>
    `Node "${p.nodeId}" waited ${p.ms} ms for a "${p.event}" event and none was emitted. Emit it with ctx.emitEvent("${p.event}", payload) or raise the timeout.`,
  FL_EXECUTION_NOT_FOUND: (p: { executionId: string; inStore?: boolean | undefined }) =>
    p.inStore === true
      ? `No execution "${p.executionId}" in the execution store. Check the id (engine.runs.list), or it was removed by the store's retention.`
      : `No active execution "${p.executionId}" on this engine. It may have finished or never started.`,
  FL_DUPLICATE_EXECUTION: (p: { executionId: string }) =>
    `Execution id "${p.executionId}" is already in use: a run with it is active on this engine, or its log is in the execution store. Use a unique executionId (engine.resume continues a logged run).`,
  FL_TRIGGER_LOOP: (p: { cycle: readonly string[]; event: string; limit: number }) =>
    `Trigger chain deeper than ${p.limit} runs, repeating ${p.cycle.join(' → ')} (on "${p.event}"); the last run was not started. Add a \`when\` condition that ends the chain, or raise maxTriggerDepth if the chain is meant to be this long.`,
  FL_ENGINE_CLOSED: () => 'The engine is closed. Create a new engine with createEngine().',
  FL_SECRET_NOT_FOUND: (p: { name: string; providers: readonly string[] }) =>
    `Secret "${p.name}" was not found (providers asked: ${p.providers.join(', ') || 'none'}). Define it or register a secrets provider.`,
  FL_PERMISSION_DENIED: (p: { nodeId: string; reason: string }) =>
    `Permission denied for node "${p.nodeId}": ${p.reason}.`,
  FL_INVALID_ACTOR: (p: { reason: string }) =>
    `Invalid run actor: ${p.reason}. Pass { id: string, roles?: string[], mfa?: boolean } as plain data.`,
  FL_ACTION_DENIED: (p: { action: string; workflow: string; executionId: string; reason: string }) =>
    `Permission denied to ${p.action} execution "${p.executionId}" of workflow "${p.workflow}": ${p.reason}.`,
  FL_EXECUTOR_NOT_FOUND: (p: { nodeId: string; executor: string; available: readonly string[] }) =>
    `Node "${p.nodeId}" asks for executor "${p.executor}", which is not registered (available: ${p.available.join(', ') || 'none'}). Install and add its plugin.`,
  FL_EXEC_FAILED: (p: {
    command: string;
    exitCode: number | null;
    signal?: string | null | undefined;
    stderr: string;
  }) =>
    `Command "${p.command}" failed with ${p.exitCode === null ? `signal ${p.signal ?? 'unknown'}` : `exit code ${p.exitCode}`}${p.stderr ? `: ${p.stderr.slice(0, 500)}` : ''}. Pass allowFailure: true to accept non-zero exits.`,
  FL_EXEC_OUTPUT_LIMIT: (p: { command: string; limit: number }) =>
    `Command "${p.command}" wrote more than ${p.limit} bytes of output and was stopped. Raise maxOutputBytes or stream the output.`,
  FL_EXEC_UNSUPPORTED: (p: { executor: string; feature: string; instead: string }) =>
    `Executor "${p.executor}" does not support ${p.feature}. ${p.instead}`,
  FL_HEALTH_CHECK_FAILED: (p: { nodeId: string; attempts: number; reason: string }) =>
    `Health check of node "${p.nodeId}" failed after ${p.attempts} attempt(s): ${p.reason}.`,
  FL_ROLLBACK_FAILED: (p: { nodeId: string; reason: string }) => `Rollback of node "${p.nodeId}" failed: ${p.reason}.`,
  FL_ARTIFACT_NOT_FOUND: (p: { nodeId: string; name: string }) =>
    `Node "${p.nodeId}" needs artifact "${p.name}", which no earlier node of this run collected. Check the producing node succeeded and the names match.`,
  FL_VALIDATION_FAILED: (p: { nodeId: string; stage: 'input' | 'output'; issues: readonly string[] }) =>
    `Node "${p.nodeId}" ${p.stage} failed validation: ${p.issues.join('; ')}.`,

  /* Durable executions */
  FL_VERSION_MISMATCH: (p: {
    executionId: string;
    workflow: string;
    version: string;
    changes: readonly { nodeId: string; change: 'added' | 'removed' | 'changed' }[];
  }) =>
    `Cannot resume "${p.executionId}": workflow "${p.workflow}" version ${p.version} has a different graph than the run started with (${p.changes.map((c) => `${c.change} ${c.nodeId}`).join(', ')}). Register the original definition, or give the changed graph a new version.`,
  FL_VERSION_NOT_REGISTERED: (p: {
    executionId: string;
    workflow: string;
    version: string;
    registered: readonly string[];
  }) =>
    `Cannot resume "${p.executionId}": workflow "${p.workflow}" version ${p.version} is not registered on this engine (registered: ${p.registered.join(', ') || 'none'}). Pass it in createEngine({ workflows }) or engine.register(wf).`,
  FL_EXECUTION_FENCED: (p: { executionId: string; epoch: number; current?: number | undefined }) =>
    `Execution "${p.executionId}" was taken over by another engine (lease epoch ${p.epoch}${p.current === undefined ? '' : ` < ${p.current}`}); this engine stopped writing to its log. Nothing to fix unless takeovers are unexpected: then raise leaseMs.`,
  FL_EXECUTION_FINISHED: (p: { executionId: string; status: string }) =>
    `Execution "${p.executionId}" already finished (${p.status}); there is nothing to resume. Read it with engine.runs.get().`,
  FL_STORE_WRITE_FAILED: (p: { executionId: string; store: string; attempts: number; reason: string }) =>
    `Execution "${p.executionId}" could not be written to the ${p.store} execution store (${p.attempts === 1 ? 'a permanent error' : `${p.attempts} failed attempts`}): ${p.reason}. The run was failed because retrying cannot help. Fix the store (its scripts, data, permissions or configuration), then run the workflow again.`,
  FL_NO_EXECUTION_STORE: (p: { operation: string }) =>
    `${p.operation} needs an execution store. Pass createEngine({ executions: createMemoryExecutionStore() }) or install a store plugin such as @flowlane/store-redis.`,
  FL_NO_RUN_QUEUE: (p: { operation: string }) =>
    `${p.operation} needs a run queue shared by coordinators. Install a queue plugin that provides one, such as bullmqDispatch() from @flowlane/queue-bullmq.`,

  FL_RATE_LIMITED: (p: {
    executionId: string;
    workflow: string;
    /** Set when a node's attempt was dropped (node-level `rateLimit`). */
    nodeId?: string | undefined;
    key: string;
    limit: number;
    period: number;
  }) =>
    `${p.nodeId === undefined ? 'Run' : `Node "${p.nodeId}" of run`} "${p.executionId}" of "${p.workflow}" was dropped: key "${p.key}" already had ${p.limit} starts in the last ${p.period} ms (rateLimit.mode 'drop'). Use mode 'delay' to wait instead, or raise the limit.`,

  /* Plugins */
  FL_PLUGIN_INVALID: (p: { plugin: string; reason: string }) => `Plugin "${p.plugin}" is invalid: ${p.reason}.`,
  FL_PLUGIN_CONFLICT: (p: { kind: string; name: string; first: string; second: string }) =>
    `Plugins "${p.first}" and "${p.second}" both register ${p.kind} "${p.name}". Remove one of them or configure a different name.`,
  FL_PLUGIN_INCOMPATIBLE: (p: { plugin: string; range: string; core: string }) =>
    `Plugin "${p.plugin}" supports @flowlane/core ${p.range}, but this is ${p.core}. Upgrade the plugin or core.`,
  FL_PLUGIN_DEPENDENCY_MISSING: (p: { plugin: string; dependency: string }) =>
    `Plugin "${p.plugin}" needs plugin "${p.dependency}". Add it to createEngine({ plugins }) before "${p.plugin}".`,
  FL_PLUGIN_SETUP_FAILED: (p: { plugin: string; reason: string }) =>
    `Setup of plugin "${p.plugin}" failed: ${p.reason}.`,
  FL_RESOURCE_UNSATISFIABLE: (p: { nodeId: string; resource: string; requested: number; capacity: number }) =>
    `Node "${p.nodeId}" requests ${p.requested} ${p.resource}, but the pool holds ${p.capacity}. Lower the request or grow the pool.`,
  FL_RESOURCE_TIMEOUT: (p: { nodeId: string; ms: number }) =>
    `Node "${p.nodeId}" waited ${p.ms} ms for resources. Raise the wait timeout or the pool capacity.`,
} as const;

/** Every stable Flowlane error code. */
export type ErrorCode = keyof typeof ErrorCodes;
/** The typed details carried by an error with code `C`. */
export type ErrorDetails<C extends ErrorCode> = Parameters<(typeof ErrorCodes)[C]>[0] extends undefined
  ? Record<string, never>
  : Parameters<(typeof ErrorCodes)[C]>[0];

const brand: unique symbol = Symbol.for('flowlane.error') as never;

/** A reason that ends a sentence itself ("… attach()." + ".") leaves one period, not two. */
export const tidy = (message: string): string => message.replace(/([.!?])\.(?=\s|$)/g, '$1');

/**
 * Base class of every error Flowlane throws: a stable `code`, typed `details`, a message that says what to fix.
 *
 * @example
 * ```ts
 * import { isFlowlaneError, type Engine, type Workflow } from '@flowlane/core';
 *
 * declare const engine: Engine;
 * declare const wf: Workflow<{ n: number }, object>;
 * try {
 *   await engine.execute(wf, { n: 1 });
 * } catch (e) {
 *   if (isFlowlaneError(e, 'FL_TIMEOUT')) console.log(e.details.nodeId);
 * }
 * ```
 */
export class FlowlaneError<C extends ErrorCode = ErrorCode> extends Error {
  override name = 'FlowlaneError';
  readonly code: C;
  readonly details: ErrorDetails<C>;
  declare readonly [brand]: true;

  constructor(code: C, details: ErrorDetails<C>, options?: { cause?: unknown; message?: string }) {
    const format = ErrorCodes[code] as (d: unknown) => string;
    super(
      options?.message ?? tidy(format(details)),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.details = details;
    Object.defineProperty(this, brand, { value: true });
  }

  /** JSON-safe form (used by events and records). */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** One problem found by `build()`. */
export interface DefinitionProblem {
  readonly code: ErrorCode;
  readonly message: string;
  readonly nodeId?: string | undefined;
}

/**
 * Thrown by `WorkflowBuilder.build()`: lists **every** problem found, each with its own stable code.
 *
 * @example
 * ```ts
 * import { WorkflowDefinitionError, workflow } from '@flowlane/core';
 *
 * try {
 *   workflow('x').build();
 * } catch (e) {
 *   if (e instanceof WorkflowDefinitionError) console.log(e.problems);
 * }
 * ```
 */
export class WorkflowDefinitionError extends FlowlaneError<'FL_INVALID_WORKFLOW'> {
  override name = 'WorkflowDefinitionError';
  readonly problems: readonly DefinitionProblem[];
  constructor(workflow: string, problems: readonly DefinitionProblem[]) {
    super('FL_INVALID_WORKFLOW', { workflow, problems });
    this.problems = problems;
  }
}

/**
 * True for any Flowlane error, also one thrown by another copy of `@flowlane/core` (checked by a global brand).
 *
 * @example
 * ```ts
 * import { isFlowlaneError } from '@flowlane/core';
 *
 * declare const err: unknown; // caught from engine.execute(…)
 * declare function retryLater(): void;
 * if (isFlowlaneError(err, 'FL_TIMEOUT')) retryLater();
 * ```
 */
export function isFlowlaneError<C extends ErrorCode = ErrorCode>(value: unknown, code?: C): value is FlowlaneError<C>;
/** A plugin's code (from `definePluginErrors`): narrows to an error with that string code. */
export function isFlowlaneError(
  value: unknown,
  code: string,
): value is Error & { readonly code: string; readonly details: unknown };
export function isFlowlaneError(value: unknown, code?: string): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return (
      (value as Record<symbol, unknown>)[brand] === true &&
      (code === undefined || (value as { code?: unknown }).code === code)
    );
  } catch {
    // A revoked Proxy or a throwing getter: not ours.
    return false;
  }
}

/** A JSON-safe error, as it appears in events and node records. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string | undefined;
  readonly stack?: string | undefined;
  readonly details?: unknown;
  readonly cause?: SerializedError | undefined;
}

/**
 * Turns any thrown value into a {@link SerializedError} (causes followed up to 5 levels). With `stack: false` the
 * stack is left out: formatting a stack trace is the costly part, and retried attempts do not need it.
 */
export function serializeError(error: unknown, options: { stack?: boolean } = {}, depth = 0): SerializedError {
  try {
    return serializeReadable(error, options, depth);
  } catch {
    // A revoked Proxy, or an Error whose `message` / `stack` / `cause` getters throw.
    return { name: 'Error', message: UNREADABLE_ERROR };
  }
}

/** The message that stands for a thrown value that cannot be read (revoked Proxy, throwing getters). */
export const UNREADABLE_ERROR = '[unreadable error]';

function serializeReadable(error: unknown, options: { stack?: boolean }, depth: number): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const details = (error as { details?: unknown }).details;
    const stack = options.stack === false ? undefined : error.stack;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(stack === undefined ? {} : { stack }),
      ...(details === undefined ? {} : { details: safeJson(details) }),
      ...(error.cause === undefined || depth >= 5 ? {} : { cause: serializeError(error.cause, options, depth + 1) }),
    };
  }
  return { name: 'NonError', message: typeof error === 'string' ? error : String(safeJson(error)) };
}

function safeJson(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return '[unserializable]';
  }
}

/** Error code of any value, if it carries one. */
export function errorCodeOf(error: unknown): string | undefined {
  try {
    const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

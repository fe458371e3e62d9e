import type { NodeDescription } from '../../contracts/descriptions.js';

/* Plugin contracts: security. */

/** Supplies secret values by name. Return `undefined` when unknown so the next provider is asked. */
export interface SecretsProvider {
  readonly name: string;
  get(name: string): string | undefined | Promise<string | undefined>;
  dispose?(): void | Promise<void>;
}

/** The identity a run acts for; checked by the permission policy. */
export interface Actor {
  readonly id: string;
  readonly roles?: readonly string[] | undefined;
  readonly mfa?: boolean | undefined;
  /** When MFA was last passed (ms since the epoch); policies with a maximum MFA age check it. */
  readonly mfaAt?: number | undefined;
}

/** Permissions a node declares. */
export interface NodePermissions {
  /** The actor needs at least one of these roles. */
  readonly requiredRoles?: readonly string[] | undefined;
  /** When given, the actor's id must be listed. */
  readonly allowedUsers?: readonly string[] | undefined;
  /** The actor must have `mfa: true`. */
  readonly requireMFA?: boolean | undefined;
}

/** A permission decision: allowed, or denied with a reason that says what is missing (no secret values). */
export type PermissionVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Engine-level actions a {@link PermissionPolicy} may decide with `authorize`. */
export type EngineAction = 'run' | 'cancel' | 'signal' | 'resume';

/** What `PermissionPolicy.authorize` is asked: `actor` wants to do `action` on one execution of `workflow`. */
export interface ActionRequest {
  readonly action: EngineAction;
  /**
   * Who asks (for `run`: the run's actor; for `cancel`/`signal`/`resume`: the `actor` option of
   * `engine.cancel`/`engine.signal`/`engine.resume`).
   */
  readonly actor: Actor | undefined;
  readonly workflow: string;
  readonly executionId: string;
  /** The signal's name, for `signal`. */
  readonly signal?: string | undefined;
}

/** Decides whether an actor may run a node and, optionally, start/cancel/signal/resume a run. */
export interface PermissionPolicy {
  check(request: {
    readonly actor: Actor | undefined;
    readonly node: NodeDescription;
    readonly workflow: string;
    readonly executionId: string;
  }): PermissionVerdict;
  /**
   * Optional: decide an engine-level action before the engine performs it (`run` when the run is admitted, before
   * any node; `cancel`, `signal` and `resume` in `engine.cancel` / `engine.signal` / `engine.resume`). A denial fails the run / throws
   * `FL_ACTION_DENIED`. Policies without `authorize` allow every action. Must answer synchronously.
   */
  authorize?(request: ActionRequest): PermissionVerdict;
}

/** One audit record, as sinks receive it (already redacted). */
export interface AuditRecord {
  readonly timestamp: number;
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeId?: string | undefined;
  readonly actor?: string | undefined;
  readonly action: string;
  readonly resource?: string | undefined;
  readonly outcome?: 'success' | 'denied' | 'failure' | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/** Receives audit records. */
export interface AuditSink {
  readonly name: string;
  write(record: AuditRecord): void | Promise<void>;
  dispose?(): void | Promise<void>;
}

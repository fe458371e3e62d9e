import type { FlowEvent } from '@flowlane/core';
import type { Observable, SchedulerLike } from 'rxjs';

/** How bad an alert is. Mapped to each channel's own levels (PagerDuty: critical/error/warning/info). */
export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** What a rule reports about one alert key: it fires, or it is over. */
export interface RuleSignal {
  /** Identity of the alert (dedupe key), e.g. `errorRate:deploy` or `duration:<executionId>`. */
  readonly key: string;
  /** Whether the alert starts (or keeps) firing, or is over. */
  readonly state: 'firing' | 'resolved';
  /** Human-readable, built from redacted event fields only. */
  readonly message: string;
  /** The workflow concerned, when there is one. */
  readonly workflow?: string | undefined;
  /** The run concerned, when there is one. */
  readonly executionId?: string | undefined;
  /** The node concerned, when there is one. */
  readonly nodeId?: string | undefined;
  /** Numbers behind the decision (rate, counts, durations). */
  readonly details?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/**
 * A rule: turns the engine's event stream into firing/resolved signals, with all time on `clock` (the engine's
 * injectable clock, so tests run on virtual time). Create rules with `errorRate`, `duration`, `noProgress`,
 * `nodeFailed` or `rule`.
 */
export interface AlertRule {
  /** Part of every alert id (`<name>:<key>`); distinct among a plugin's rules. */
  readonly name: string;
  /** Severity of this rule's alerts. */
  readonly severity: Severity;
  /** Channels and delays for this rule's alerts (overrides the plugin's `escalation`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
  /** Turns the engine's events into signals; all timers on `clock`. Called once per engine. */
  evaluate(events$: Observable<FlowEvent>, clock: SchedulerLike): Observable<RuleSignal>;
}

/** One step of an escalation chain: after the alert has fired for `after` ms and is still firing, notify `channels`. */
export interface EscalationStep {
  /** Ms after the alert started firing. `0` = at once. */
  readonly after: number;
  /** Channel names (keys of the plugin's `channels`). */
  readonly channels: readonly string[];
}

/** What channels receive. */
export interface AlertNotification {
  /** `firing` when the alert starts (or escalates), `resolved` when it is over. */
  readonly status: 'firing' | 'resolved';
  /** Stable id of the alert (`<rule>:<key>`): use it to dedupe and to resolve (PagerDuty `dedup_key`). */
  readonly id: string;
  /** The rule's name. */
  readonly rule: string;
  /** The rule's severity. */
  readonly severity: Severity;
  /** What is wrong, for people (built from redacted events). */
  readonly message: string;
  /** Clock time the alert started firing. */
  readonly since: number;
  /** Clock time of this notification. */
  readonly at: number;
  /** 0 for the first step, 1… for escalations. */
  readonly escalationStep: number;
  /** The workflow concerned, when there is one. */
  readonly workflow?: string | undefined;
  /** The run concerned, when there is one. */
  readonly executionId?: string | undefined;
  /** The node concerned, when there is one. */
  readonly nodeId?: string | undefined;
  /** Numbers behind the decision (rate, counts, durations). */
  readonly details?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** Sends notifications somewhere. `send` rejects on failure; alerting retries with backoff. */
export interface AlertChannel {
  /** A label for logs (`slack`, `pagerduty`, …). */
  readonly kind: string;
  /** Where it sends, without secrets (an origin, an SMTP host): safe for logs and errors. */
  readonly target: string;
  /** Deliver one notification; reject on failure (it is retried). Stop when `signal` aborts (timeout, engine closing). */
  send(notification: AlertNotification, signal: AbortSignal): Promise<void>;
  /** Release connections; called when the engine closes. */
  close?(): void | Promise<void>;
}

/** An alert that is firing now (the monitor's dashboard shows these). */
export interface ActiveAlert {
  /** `<rule>:<key>`. */
  readonly id: string;
  /** The rule's name. */
  readonly rule: string;
  /** The rule's severity. */
  readonly severity: Severity;
  /** The latest message of the alert. */
  readonly message: string;
  /** Clock time it started firing. */
  readonly since: number;
  /** The workflow concerned, when there is one. */
  readonly workflow?: string | undefined;
  /** The run concerned, when there is one. */
  readonly executionId?: string | undefined;
}

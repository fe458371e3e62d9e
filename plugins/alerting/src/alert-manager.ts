/* Internal: turns rule signals into notifications — dedupe, cooldown, escalation, resolve. */
import type { FlowEvent, Logger } from '@flowlane/core';
import {
  BehaviorSubject,
  map,
  merge,
  Observable,
  type SchedulerLike,
  type Subscription,
  throwError,
  timer,
} from 'rxjs';
import type { Delivery } from './delivery.js';
import type { ActiveAlert, AlertChannel, AlertNotification, AlertRule, EscalationStep, RuleSignal } from './types.js';

interface AlertState {
  firing: boolean;
  since: number;
  /** Channels notified while this alert fired (they get the resolve). */
  notified: Set<string>;
  escalations: Subscription[];
  lastNotifiedAt: number | undefined;
  signal: RuleSignal;
  readonly rule: AlertRule;
}

/** Counters of the rule side (`plugin.stats()`). */
export interface RuleStats {
  /** Alerts that started firing. */
  readonly fired: number;
  /** Alerts that stopped firing. */
  readonly resolved: number;
  /** Firing signals for an alert already firing (not notified again). */
  readonly deduped: number;
  /** Alerts that fired again within `cooldown` of their last notification (shown, not notified). */
  readonly suppressed: number;
  /** Escalation steps after the first that were notified. */
  readonly escalated: number;
}

export class AlertManager {
  readonly #states = new Map<string, AlertState>();
  readonly #channels: ReadonlyMap<string, AlertChannel>;
  readonly #delivery: Delivery;
  readonly #clock: SchedulerLike;
  readonly #cooldown: number;
  readonly #notifyResolved: boolean;
  readonly #defaultEscalation: readonly EscalationStep[];
  readonly #logger: Logger;
  readonly alerts$ = new BehaviorSubject<readonly ActiveAlert[]>([]);
  readonly stats = { fired: 0, resolved: 0, deduped: 0, suppressed: 0, escalated: 0 };
  #sub: Subscription | undefined;

  constructor(o: {
    channels: ReadonlyMap<string, AlertChannel>;
    delivery: Delivery;
    clock: SchedulerLike;
    cooldown: number;
    notifyResolved: boolean;
    escalation: readonly EscalationStep[];
    logger: Logger;
  }) {
    this.#channels = o.channels;
    this.#delivery = o.delivery;
    this.#clock = o.clock;
    this.#cooldown = o.cooldown;
    this.#notifyResolved = o.notifyResolved;
    this.#defaultEscalation = o.escalation;
    this.#logger = o.logger;
  }

  start(rules: readonly AlertRule[], events$: Observable<FlowEvent>): void {
    const signals$ = merge(...rules.map((r) => this.#isolated(r, events$).pipe(map((s) => [r, s] as const))));
    this.#sub = signals$.subscribe({ next: ([r, s]) => this.#on(r, s) });
  }

  /**
   * `rule.evaluate`, kept alive: a rule that throws on an event (a custom predicate meeting a payload it did not
   * expect) is subscribed again — the event is skipped, later ones are evaluated — instead of erroring the merged
   * stream, which stopped every rule. One that throws while being subscribed is given up (logged).
   */
  #isolated(rule: AlertRule, events$: Observable<FlowEvent>): Observable<RuleSignal> {
    let logged = false;
    return new Observable<RuleSignal>((out) => {
      let sub: Subscription | undefined;
      const subscribe = (): void => {
        let subscribing = true;
        let failedAtOnce = false;
        sub = this.#safeEvaluate(rule, events$).subscribe({
          next: (s) => out.next(s),
          error: (e: unknown) => {
            const error = e instanceof Error ? e.message : String(e);
            if (subscribing) {
              failedAtOnce = true;
              this.#logger.error(`alerting: rule "${rule.name}" failed and stopped evaluating`, { error });
              return;
            }
            if (!logged) {
              logged = true;
              this.#logger.error(
                `alerting: rule "${rule.name}" threw on an event (skipped; further errors of this rule are not logged)`,
                { error },
              );
            }
            subscribe();
          },
          complete: () => out.complete(),
        });
        subscribing = false;
        if (failedAtOnce) sub = undefined;
      };
      subscribe();
      return () => sub?.unsubscribe();
    });
  }

  #safeEvaluate(rule: AlertRule, events$: Observable<FlowEvent>): Observable<RuleSignal> {
    try {
      return rule.evaluate(events$, this.#clock);
    } catch (e) {
      return throwError(() => e);
    }
  }

  #on(rule: AlertRule, s: RuleSignal): void {
    const id = `${rule.name}:${s.key}`;
    const now = this.#clock.now();
    let st = this.#states.get(id);
    if (s.state === 'firing') {
      if (st?.firing) {
        this.stats.deduped++;
        st.signal = s;
        return;
      }
      const state: AlertState = st ?? {
        firing: false,
        since: now,
        notified: new Set(),
        escalations: [],
        lastNotifiedAt: undefined,
        signal: s,
        rule,
      };
      st = state;
      this.#states.set(id, state);
      st.firing = true;
      st.since = now;
      st.signal = s;
      st.notified = new Set();
      this.stats.fired++;
      // Steps due within the cooldown of the previous firing's last notification are suppressed; later steps of an
      // alert that keeps firing still go out (a flap must not swallow the escalation).
      const coolUntil = st.lastNotifiedAt === undefined ? -Infinity : st.lastNotifiedAt + this.#cooldown;
      if (now < coolUntil) this.stats.suppressed++;
      const steps = rule.escalation ?? this.#defaultEscalation;
      steps.forEach((step, i) => {
        const fire = (): void => {
          if (this.#states.get(id) !== state || !state.firing || this.#clock.now() < coolUntil) return;
          if (i > 0) this.stats.escalated++;
          this.#notify(id, rule, state, 'firing', step.channels, i);
        };
        if (step.after === 0) fire();
        else state.escalations.push(timer(step.after, this.#clock).subscribe(fire));
      });
      this.#publish();
      return;
    }
    if (st === undefined || !st.firing) return;
    st.firing = false;
    st.signal = s;
    for (const t of st.escalations) t.unsubscribe();
    st.escalations = [];
    this.stats.resolved++;
    if (this.#notifyResolved && st.notified.size > 0) this.#notify(id, rule, st, 'resolved', [...st.notified], 0);
    // Keep the state only while its cooldown matters.
    if (this.#cooldown === 0) this.#states.delete(id);
    this.#publish();
  }

  #notify(
    id: string,
    rule: AlertRule,
    st: AlertState,
    status: 'firing' | 'resolved',
    channels: readonly string[],
    step: number,
  ): void {
    const now = this.#clock.now();
    st.lastNotifiedAt = now;
    const s = st.signal;
    const n: AlertNotification = {
      status,
      id,
      rule: rule.name,
      severity: rule.severity,
      message: s.message,
      since: st.since,
      at: now,
      escalationStep: step,
      ...(s.workflow === undefined ? {} : { workflow: s.workflow }),
      ...(s.executionId === undefined ? {} : { executionId: s.executionId }),
      ...(s.nodeId === undefined ? {} : { nodeId: s.nodeId }),
      ...(s.details === undefined ? {} : { details: s.details }),
    };
    for (const name of channels) {
      const ch = this.#channels.get(name);
      if (ch === undefined) continue; // checked when the plugin was created
      if (status === 'firing') st.notified.add(name);
      this.#delivery.send(name, ch, n);
    }
  }

  #publish(): void {
    const list: ActiveAlert[] = [];
    for (const [id, st] of this.#states)
      if (st.firing)
        list.push({
          id,
          rule: st.rule.name,
          severity: st.rule.severity,
          message: st.signal.message,
          since: st.since,
          ...(st.signal.workflow === undefined ? {} : { workflow: st.signal.workflow }),
          ...(st.signal.executionId === undefined ? {} : { executionId: st.signal.executionId }),
        });
    this.alerts$.next(list);
  }

  stop(): void {
    this.#sub?.unsubscribe();
    for (const st of this.#states.values()) for (const t of st.escalations) t.unsubscribe();
    this.#states.clear();
    this.alerts$.complete();
  }
}

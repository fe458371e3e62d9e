import { allKeys, definePlugin, type FlowlanePlugin, Tokens } from '@flowlane/core';
import { BehaviorSubject, type Observable, of, type SchedulerLike, switchMap } from 'rxjs';
import { AlertManager, type RuleStats } from './alert-manager.js';
import { Delivery, type DeliveryOptions, type DeliveryStats } from './delivery.js';
import { AlertingError } from './errors.js';
import type { ActiveAlert, AlertChannel, AlertRule, EscalationStep } from './types.js';
import { checkKeys, escalation, fail, positive } from './validate.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of {@link alerting}. */
export interface AlertingOptions {
  /** Rules from `errorRate`, `duration`, `noProgress`, `nodeFailed`, `rule`. */
  readonly rules: readonly AlertRule[];
  /** Channels by name (escalation steps refer to these names). */
  readonly channels: Readonly<Record<string, AlertChannel>>;
  /** Default chain for rules without their own. Default: every channel at once (`[{ after: 0, channels: all }]`). */
  readonly escalation?: readonly EscalationStep[] | undefined;
  /** An alert that fires again within this many ms of its last notification is shown but not notified. Default 0. */
  readonly cooldown?: number | undefined;
  /** Send `resolved` notifications to the channels that got the alert. Default true. */
  readonly notifyResolved?: boolean | undefined;
  /** Retries of failing channels. */
  readonly delivery?: DeliveryOptions | undefined;
}

/** The plugin returned by {@link alerting}: active alerts as a stream (for `monitor({ alerts })`) and counters. */
export interface AlertingPlugin extends FlowlanePlugin {
  /** The alerts firing now; replays the current list to new subscribers. Empty before setup and after close. */
  readonly alerts$: Observable<readonly ActiveAlert[]>;
  /** Rule and delivery counters. */
  stats(): RuleStats & DeliveryStats & { readonly pending: number };
  /** Resolves once no delivery attempt is in flight (retries scheduled for later are not waited for). */
  idle(): Promise<void>;
}

/**
 * Alerting on the engine's event stream: rules evaluated with RxJS on the engine's clock, deduplicated, with cooldown,
 * resolve notifications and escalation chains, delivered to webhook, Slack, PagerDuty and email channels with
 * retries. Delivery never blocks the engine: a channel that keeps failing only costs its own retries.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { alerting, errorRate, nodeFailed, webhookChannel } from '@flowlane/alerting';
 *
 * const alerts = alerting({
 *   rules: [errorRate({ above: 0.1, window: 5 * 60_000, minRuns: 5 }), nodeFailed()],
 *   channels: { ops: webhookChannel({ url: 'https://ops.example.com/hooks/flowlane' }) },
 * });
 * const engine = createEngine({ plugins: [alerts] });
 * await engine.ready();
 * console.log(alerts.stats().fired); // 0
 * await engine.close();
 * ```
 */
export function alerting(options: AlertingOptions): AlertingPlugin {
  const where = 'alerting()';
  checkKeys(
    where,
    options,
    allKeys<AlertingOptions>()(['rules', 'channels', 'escalation', 'cooldown', 'notifyResolved', 'delivery']),
  );
  const rules = options.rules;
  if (!Array.isArray(rules) || rules.length === 0) fail(where, 'rules', 'expected a non-empty array of rules');
  for (const [i, r] of rules.entries())
    if (typeof r?.evaluate !== 'function')
      fail(where, `rules[${i}]`, 'expected a rule from errorRate(), duration(), noProgress(), nodeFailed() or rule()');
  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) fail(where, 'rules', `two rules are named "${r.name}": give custom rules distinct names`);
    names.add(r.name);
  }
  if (typeof options.channels !== 'object' || options.channels === null || Object.keys(options.channels).length === 0)
    fail(where, 'channels', 'expected an object of named channels, e.g. { slack: slackChannel(...) }');
  const channels = new Map(Object.entries(options.channels));
  for (const [name, ch] of channels)
    if (typeof ch?.send !== 'function')
      fail(
        where,
        `channels.${name}`,
        'expected a channel from webhookChannel(), slackChannel(), pagerDutyChannel() or emailChannel()',
      );
  const chain = escalation(where, options.escalation) ?? [{ after: 0, channels: [...channels.keys()] }];
  for (const steps of [chain, ...rules.map((r) => r.escalation ?? [])])
    for (const step of steps)
      for (const c of step.channels)
        if (!channels.has(c))
          throw new AlertingError('FL_ALERT_UNKNOWN_CHANNEL', { channel: c, known: [...channels.keys()] });
  const cooldown =
    options.cooldown === undefined ? 0 : positive(where, 'cooldown', options.cooldown, { allowZero: true });
  if (options.notifyResolved !== undefined && typeof options.notifyResolved !== 'boolean')
    fail(where, 'notifyResolved', 'expected a boolean');
  const d = options.delivery ?? {};
  checkKeys(
    `${where} delivery`,
    d,
    allKeys<DeliveryOptions>()(['maxAttempts', 'initialDelay', 'maxDelay', 'timeout', 'maxPending']),
  );
  const deliveryOptions = {
    maxAttempts:
      d.maxAttempts === undefined ? 5 : positive(where, 'delivery.maxAttempts', d.maxAttempts, { integer: true }),
    initialDelay:
      d.initialDelay === undefined
        ? 1000
        : positive(where, 'delivery.initialDelay', d.initialDelay, { allowZero: true, timer: true }),
    maxDelay:
      d.maxDelay === undefined
        ? 60_000
        : positive(where, 'delivery.maxDelay', d.maxDelay, { allowZero: true, timer: true }),
    timeout: d.timeout === undefined ? 10_000 : positive(where, 'delivery.timeout', d.timeout, { timer: true }),
    maxPending:
      d.maxPending === undefined ? 1000 : positive(where, 'delivery.maxPending', d.maxPending, { integer: true }),
  };

  let manager: AlertManager | undefined;
  let delivery: Delivery | undefined;
  let last = {
    fired: 0,
    resolved: 0,
    deduped: 0,
    suppressed: 0,
    escalated: 0,
    sent: 0,
    delivered: 0,
    retried: 0,
    failed: 0,
    dropped: 0,
  };
  const current$ = new BehaviorSubject<Observable<readonly ActiveAlert[]>>(of([]));
  const alerts$ = current$.pipe(switchMap((s) => s));

  const base = definePlugin({
    name: '@flowlane/alerting',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const clock = api.container.resolve<SchedulerLike>(Tokens.Clock);
      const dl = new Delivery(clock, api.logger, deliveryOptions);
      const m = new AlertManager({
        channels,
        delivery: dl,
        clock,
        cooldown,
        notifyResolved: options.notifyResolved ?? true,
        escalation: chain,
        logger: api.logger,
      });
      manager = m;
      delivery = dl;
      current$.next(m.alerts$);
      m.start(rules, api.events$);
      return async () => {
        last = { ...m.stats, ...dl.stats };
        m.stop();
        current$.next(of([]));
        await dl.close();
        for (const ch of channels.values()) await ch.close?.();
        manager = undefined;
        delivery = undefined;
      };
    },
  });
  return Object.freeze({
    ...base,
    alerts$,
    stats: () => ({ ...(manager?.stats ?? last), ...(delivery?.stats ?? last), pending: delivery?.pending ?? 0 }),
    idle: () => delivery?.idle() ?? Promise.resolve(),
  }) as AlertingPlugin;
}

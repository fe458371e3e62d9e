import { allKeys } from '@flowlane/core';
import type { AlertChannel, AlertNotification } from '../types.js';
import { checkKeys, fail } from '../validate.js';
import { checkUrl, postJson, redactUrl } from './http-post.js';

/** Options of {@link pagerDutyChannel}. */
export interface PagerDutyChannelOptions {
  /** The integration's routing key (a secret: never logged). */
  readonly routingKey: string;
  /** Events API v2 endpoint. Default `https://events.pagerduty.com/v2/enqueue`. */
  readonly url?: string | undefined;
}

/** The PagerDuty Events API v2 body for a notification (`trigger`, or `resolve` with the same `dedup_key`). */
export function pagerDutyEvent(routingKey: string, n: AlertNotification): Record<string, unknown> {
  if (n.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key: n.id };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: n.id,
    payload: {
      summary: n.message.slice(0, 1024),
      source: 'flowlane',
      severity: n.severity,
      timestamp: new Date(n.at).toISOString(),
      component: n.workflow,
      group: n.rule,
      class: n.nodeId,
      custom_details: {
        ...n.details,
        executionId: n.executionId,
        escalationStep: n.escalationStep,
        since: new Date(n.since).toISOString(),
      },
    },
  };
}

/**
 * PagerDuty Events API v2: triggers with `dedup_key` = the alert id, resolves with the same key.
 *
 * @example
 * ```ts
 * import { pagerDutyChannel } from '@flowlane/alerting';
 * const pd = pagerDutyChannel({ routingKey: 'R0UT1NGKEY' });
 * console.log(pd.target); // https://events.pagerduty.com/…
 * ```
 */
export function pagerDutyChannel(options: PagerDutyChannelOptions): AlertChannel {
  const where = 'pagerDutyChannel()';
  checkKeys(where, options, allKeys<PagerDutyChannelOptions>()(['routingKey', 'url']));
  if (typeof options.routingKey !== 'string' || options.routingKey.length === 0)
    fail(where, 'routingKey', 'expected the integration key');
  const url = checkUrl(where, 'url', options.url ?? 'https://events.pagerduty.com/v2/enqueue', fail);
  const key = options.routingKey;
  return {
    kind: 'pagerduty',
    target: redactUrl(url),
    send: (n, signal) => postJson(url, pagerDutyEvent(key, n), {}, signal),
  };
}

import { allKeys } from '@flowlane/core';
import type { AlertChannel, AlertNotification } from '../types.js';
import { checkKeys, fail, optionalString } from '../validate.js';
import { checkUrl, postJson, redactUrl } from './http-post.js';

/** Options of {@link slackChannel}. */
export interface SlackChannelOptions {
  /** The incoming-webhook URL Slack gave you (it is a secret: never logged). */
  readonly webhookUrl: string;
  /** Override the webhook's channel (legacy webhooks only). */
  readonly channel?: string | undefined;
  /** Override the poster's name (legacy webhooks only). */
  readonly username?: string | undefined;
}

const ICON: Record<AlertNotification['severity'], string> = {
  critical: ':rotating_light:',
  error: ':red_circle:',
  warning: ':warning:',
  info: ':information_source:',
};

/**
 * Slack's control characters escaped (its "Escaping text" rule: `&`, `<`, `>`), so text taken from a run — a node's
 * error message, ids — shows as written and cannot mention `<!channel>` or hide a link `<https://…|text>`.
 */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The Slack message (incoming-webhook payload: `text` fallback + Block Kit `blocks`) for a notification. */
export function slackMessage(n: AlertNotification): { text: string; blocks: unknown[] } {
  const message = esc(n.message);
  const head =
    n.status === 'resolved'
      ? `:white_check_mark: Resolved: ${message}`
      : `${ICON[n.severity]} [${n.severity}]${n.escalationStep > 0 ? ` (escalation ${n.escalationStep})` : ''} ${message}`;
  const fields = [
    ['Rule', n.rule],
    ['Alert', n.id],
    ...(n.workflow === undefined ? [] : [['Workflow', n.workflow]]),
    ...(n.executionId === undefined ? [] : [['Run', n.executionId]]),
    ...(n.nodeId === undefined ? [] : [['Node', n.nodeId]]),
  ].map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${esc(v!)}` }));
  return {
    text: head,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: head } },
      { type: 'section', fields },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Flowlane · since ${new Date(n.since).toISOString()}` }] },
    ],
  };
}

/**
 * Slack-compatible incoming webhook (also accepted by Mattermost and Rocket.Chat): a `text` line plus Block Kit
 * sections with rule, workflow, run and node.
 *
 * @example
 * ```ts
 * import { slackChannel } from '@flowlane/alerting';
 * const slack = slackChannel({ webhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXX' });
 * console.log(slack.target); // https://hooks.slack.com/…
 * ```
 */
export function slackChannel(options: SlackChannelOptions): AlertChannel {
  const where = 'slackChannel()';
  checkKeys(where, options, allKeys<SlackChannelOptions>()(['webhookUrl', 'channel', 'username']));
  const url = checkUrl(where, 'webhookUrl', options.webhookUrl, fail);
  const channel = optionalString(where, 'channel', options.channel);
  const username = optionalString(where, 'username', options.username);
  return {
    kind: 'slack',
    target: redactUrl(url),
    send: (n, signal) =>
      postJson(
        url,
        {
          ...slackMessage(n),
          ...(channel === undefined ? {} : { channel }),
          ...(username === undefined ? {} : { username }),
        },
        {},
        signal,
      ),
  };
}

import { allKeys } from '@flowlane/core';
import type { AlertChannel, AlertNotification } from '../types.js';
import { checkKeys, fail } from '../validate.js';
import { checkUrl, postJson, redactUrl } from './http-post.js';

/** Options of {@link webhookChannel}. */
export interface WebhookChannelOptions {
  /** Receives a POST with the JSON body described in the README. */
  readonly url: string;
  /** Extra headers (e.g. `Authorization`); never logged. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** The JSON body a webhook channel posts (version 1). */
export interface WebhookPayload {
  /** Payload format version. */
  readonly version: 1;
  /** Always `flowlane`. */
  readonly source: 'flowlane';
  /** The notification. */
  readonly alert: AlertNotification;
}

/**
 * A generic webhook: POSTs `{ version: 1, source: 'flowlane', alert }` as JSON; any 2xx answer is a delivery.
 *
 * @example
 * ```ts
 * import { webhookChannel } from '@flowlane/alerting';
 * const hook = webhookChannel({ url: 'https://ops.example.com/hooks/flowlane?key=secret' });
 * console.log(hook.target); // https://ops.example.com/…
 * ```
 */
export function webhookChannel(options: WebhookChannelOptions): AlertChannel {
  const where = 'webhookChannel()';
  checkKeys(where, options, allKeys<WebhookChannelOptions>()(['url', 'headers']));
  const url = checkUrl(where, 'url', options.url, fail);
  const headers = options.headers ?? {};
  if (typeof headers !== 'object' || Object.values(headers).some((v) => typeof v !== 'string'))
    fail(where, 'headers', 'expected an object of string values');
  return {
    kind: 'webhook',
    target: redactUrl(url),
    send: (n, signal) =>
      postJson(url, { version: 1, source: 'flowlane', alert: n } satisfies WebhookPayload, headers, signal),
  };
}

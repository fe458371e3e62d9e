/* Plugin */

export type { RuleStats } from './alert-manager.js';
export type { AlertingOptions, AlertingPlugin } from './alerting-plugin.js';
export { alerting } from './alerting-plugin.js';
/* Channels */
export type { EmailChannelOptions, SmtpOptions } from './channels/email-channel.js';
export { emailChannel, emailContent } from './channels/email-channel.js';
export type { PagerDutyChannelOptions } from './channels/pagerduty-channel.js';
export { pagerDutyChannel, pagerDutyEvent } from './channels/pagerduty-channel.js';
export type { SlackChannelOptions } from './channels/slack-channel.js';
export { slackChannel, slackMessage } from './channels/slack-channel.js';
export type { WebhookChannelOptions, WebhookPayload } from './channels/webhook-channel.js';
export { webhookChannel } from './channels/webhook-channel.js';
export type { DeliveryOptions, DeliveryStats } from './delivery.js';
/* Errors */
export type { AlertingErrorCode } from './errors.js';
export { AlertingError, AlertingErrorCodes } from './errors.js';
/* Rules */
export type { CustomRuleOptions } from './rules/custom-rule.js';
export { rule } from './rules/custom-rule.js';
export type { DurationOptions } from './rules/duration.js';
export { duration } from './rules/duration.js';
export type { ErrorRateOptions } from './rules/error-rate.js';
export { errorRate } from './rules/error-rate.js';
export type { NoProgressOptions } from './rules/no-progress.js';
export { noProgress } from './rules/no-progress.js';
export type { NodeFailedOptions } from './rules/node-failed.js';
export { nodeFailed } from './rules/node-failed.js';
/* Types */
export type {
  ActiveAlert,
  AlertChannel,
  AlertNotification,
  AlertRule,
  EscalationStep,
  RuleSignal,
  Severity,
} from './types.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';

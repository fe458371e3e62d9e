import { fileURLToPath } from 'node:url';
import { docSnippetsSuite, packageConformance } from '@flowlane/testing';
import { AlertingErrorCodes, alerting, nodeFailed, webhookChannel } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/alerting': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 2,
});

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/alerting', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () =>
    alerting({ rules: [nodeFailed()], channels: { hook: webhookChannel({ url: 'http://127.0.0.1:9/h' }) } }),
  errorCodes: AlertingErrorCodes,
  options: ['rules', 'channels', 'escalation', 'cooldown', 'notifyResolved', 'delivery'],
});

import { fileURLToPath } from 'node:url';
import { docSnippetsSuite, packageConformance } from '@flowlane/testing';
import { OtelErrorCodes, otelTracing } from './index.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

docSnippetsSuite({
  docs: [fileURLToPath(new URL('../README.md', import.meta.url))],
  imports: { '@flowlane/tracing-otel': fileURLToPath(new URL('./index.ts', import.meta.url)) },
  minSnippets: 3,
});

// Version, plugin identity, README error table (every code documented, no stale rows), options and sections.
packageConformance('@flowlane/tracing-otel', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => otelTracing(),
  errorCodes: OtelErrorCodes,
  options: ['tracerProvider', 'propagateContext', 'propagate', 'attributes', 'parentRuns'],
});

import { packageConformance } from '@flowlane/testing';
import { datadog } from './datadog-plugin.js';
import { DatadogErrorCodes } from './errors.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/metrics-datadog', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => datadog(),
  errorCodes: DatadogErrorCodes,
});

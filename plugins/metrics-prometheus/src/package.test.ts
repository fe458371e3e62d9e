import { packageConformance } from '@flowlane/testing';
import { PrometheusErrorCodes } from './errors.js';
import { prometheus } from './prometheus-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/metrics-prometheus', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => prometheus(),
  errorCodes: PrometheusErrorCodes,
});

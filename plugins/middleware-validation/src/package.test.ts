import { packageConformance } from '@flowlane/testing';

import { validation } from './validation-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/middleware-validation', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => validation(),
  documents: ['FL_VALIDATION_FAILED', 'FL_INVALID_OPTION', 'FL_PLUGIN_INVALID'],
});

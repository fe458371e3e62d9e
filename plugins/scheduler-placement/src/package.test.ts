import { packageConformance } from '@flowlane/testing';
import { PlacementErrorCodes } from './errors.js';

import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/scheduler-placement', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  errorCodes: PlacementErrorCodes,
  documents: ['FL_RESOURCE_UNSATISFIABLE', 'FL_RESOURCE_TIMEOUT', 'FL_CANCELLED'],
});

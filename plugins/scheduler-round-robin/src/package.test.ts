import { PlacementErrorCodes } from '@flowlane/scheduler-placement';
import { packageConformance } from '@flowlane/testing';
import { roundRobinScheduler } from './round-robin-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/scheduler-round-robin', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => roundRobinScheduler({ workers: [{ id: 'a' }] }),
  documents: ['FL_RESOURCE_UNSATISFIABLE', 'FL_RESOURCE_TIMEOUT', 'FL_CANCELLED', ...Object.keys(PlacementErrorCodes)],
  foreignCodes: PlacementErrorCodes,
});

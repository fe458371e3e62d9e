import { PlacementErrorCodes } from '@flowlane/scheduler-placement';
import { packageConformance } from '@flowlane/testing';
import { loadBasedScheduler } from './load-based-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/scheduler-load-based', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => loadBasedScheduler({ workers: [{ id: 'a' }] }),
  documents: ['FL_RESOURCE_UNSATISFIABLE', 'FL_RESOURCE_TIMEOUT', 'FL_CANCELLED', ...Object.keys(PlacementErrorCodes)],
  foreignCodes: PlacementErrorCodes,
});

import { packageConformance } from '@flowlane/testing';
import { SchedulerErrorCodes } from './errors.js';
import { priorityScheduler } from './priority-plugin.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

// Version, plugin identity, README error table (every code documented, no stale rows) and README sections.
packageConformance('@flowlane/scheduler-priority', {
  dir: new URL('..', import.meta.url),
  version: PKG_VERSION,
  coreRange: CORE_RANGE,
  plugin: () => priorityScheduler(),
  errorCodes: SchedulerErrorCodes,
  documents: ['FL_RESOURCE_UNSATISFIABLE', 'FL_RESOURCE_TIMEOUT', 'FL_CANCELLED'],
});

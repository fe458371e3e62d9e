import { createLocalExecutor } from '@flowlane/core';
import { executorConformance } from './executor-conformance.js';

executorConformance('createLocalExecutor', () => createLocalExecutor({ killGraceMs: 500 }));

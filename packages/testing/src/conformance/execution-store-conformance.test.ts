import { createMemoryExecutionStore } from '@flowlane/core';
import { executionStoreConformance } from './execution-store-conformance.js';

executionStoreConformance('memory', () => createMemoryExecutionStore());

import { createMemoryStateStore } from '@flowlane/core';
import { stateStoreConformance } from './state-store-conformance.js';

stateStoreConformance('createMemoryStateStore', () => createMemoryStateStore());

import { createMemoryCacheStore } from '@flowlane/core';
import { cacheStoreConformance } from './cache-store-conformance.js';

cacheStoreConformance('createMemoryCacheStore', ({ now }) => createMemoryCacheStore({ now }));
cacheStoreConformance('createMemoryCacheStore (real clock)', () => createMemoryCacheStore(), {
  clock: 'real',
  realTtlMs: 200,
});

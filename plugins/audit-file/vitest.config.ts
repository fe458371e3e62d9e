import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// testTimeout: the property tests write and verify the real file hundreds of times (scrypt, fsync); on a 2-core CI
// machine shared with every other package's tests one of them overran vitest's 5 s default (11.7 s for the file).
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } }));

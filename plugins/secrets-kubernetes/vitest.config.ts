import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// testTimeout: the tests write and read the real file (or a real API server) many times (scrypt, fsync); on a 2-core CI
// machine shared with every other package's tests one of them overran vitest's 5 s default (11.7 s for the file).
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } }));

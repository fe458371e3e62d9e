import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// testTimeout: these tests drive a real (fake-API) HTTPS server and its watches on a 2-core CI machine shared with
// every other package's tests, like the executor suites (each wait inside a test keeps its own, shorter deadline).
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } }));

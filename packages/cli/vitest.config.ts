import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// testTimeout: these tests start the real `flowlane` CLI in pseudo-terminals and child processes (1–2 s per start
// here) and a real Redis, on a 2-core CI machine shared with every other package's tests, where vitest's 5 s default
// proved too tight (and 20 s too, for the tests that start the CLI a dozen times, at a load of 15–20); each wait inside
// a test keeps its own, shorter deadline.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 60_000 } }));

import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// testTimeout: one test starts the real `flowlane` CLI (tsx loading the workflow file: 1–2 s here, more under load);
// it overran vitest's 5 s default once on the 2-core CI machine shared with every other package's tests.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 20_000 } }));

import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Real Redis round trips and child processes: generous deadlines on a loaded 2-core machine.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 120_000, hookTimeout: 60_000 } }));

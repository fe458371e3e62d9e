import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Real Redis and worker processes: generous deadlines on a loaded 2-core machine.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 60_000, hookTimeout: 30_000 } }));

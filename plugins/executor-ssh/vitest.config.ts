import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// --expose-gc: the large-file test measures memory still referenced after collections, not garbage not yet collected.
export default mergeConfig(sharedConfig, defineConfig({ test: { execArgv: ['--expose-gc'] } }));

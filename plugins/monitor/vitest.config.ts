import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Real sockets and a real browser: generous deadlines under CI load (each wait names what it waited for).
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 20_000, hookTimeout: 20_000 } }));

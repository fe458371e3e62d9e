import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Real sockets and a real browser: generous deadlines under CI load (each wait names what it waited for; the
// slow-client test once overran 20 s at load 28, next to the Chromium tests).
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } }));

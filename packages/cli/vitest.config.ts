import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// testTimeout: these tests start real servers (dockerd, sshd, Redis, Prometheus) on a 2-core CI machine shared with
// every other package's tests, where vitest's 5 s default proved too tight; each wait keeps its own deadline.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 20_000 } }));

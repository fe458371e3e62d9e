import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// --expose-gc: the large-file test measures memory still referenced after collections, not garbage not yet collected.
// testTimeout: these tests drive a real sshd on a 2-core CI machine shared with every other package's tests; a test
// that polls the remote process table several times took over vitest's 5 s default under that load. Each wait inside
// a test still has its own, shorter deadline naming what it waited for.
export default mergeConfig(sharedConfig, defineConfig({ test: { execArgv: ['--expose-gc'], testTimeout: 20_000 } }));

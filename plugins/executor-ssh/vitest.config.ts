import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// --expose-gc: the large-file test measures memory still referenced after collections, not garbage not yet collected.
// testTimeout: these tests drive a real sshd on a 2-core CI machine shared with every other package's tests; a test
// that polls the remote process table several times took over vitest's 5 s default under that load. Each wait inside
// a test still has its own, shorter deadline naming what it waited for.
// --single-threaded-gc: the 96 MiB streaming test measures memory still referenced after gc(); with V8's concurrent
// array-buffer sweeper, buffers already garbage were still counted (once 61 MiB on Node 24 under CI load, against a
// real 2–3 MiB), so gc() must finish its sweep before it returns.
export default mergeConfig(
  sharedConfig,
  defineConfig({ test: { execArgv: ['--expose-gc', '--single-threaded-gc'], testTimeout: 20_000 } }),
);

import { executorConformance } from '@flowlane/testing';
import { createEchoExecutor } from './index.js';

// The suite's default commands are POSIX programs; the echo executor speaks its own little shell, so the few
// commands it spells differently are mapped here. Everything else (timeouts, aborts, copies, …) is checked as is.
executorConformance('flowlane-plugin-echo', () => createEchoExecutor(), {
  commands: {
    echo: (text) => ({ command: 'echo', args: [text] }),
    shellEcho: (text) => ({ command: 'echo "$1"', shell: true, args: [text] }),
    fail: (code, message) => ({ command: 'echo "$1" >&2; exit "$2"', shell: true, args: [message, String(code)] }),
    flood: (bytes) => ({ command: 'fill', args: [String(bytes)] }),
    ticks: () => ({ command: 'echo first; sleep 0.3; echo second', shell: true }),
  },
  // The "remote" side is the executor's in-memory file system.
  remotePath: (name) => `/conformance/${Math.random().toString(36).slice(2)}/${name}`,
});

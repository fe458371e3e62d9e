import type { Logger } from '../plugin/types.js';

/** The engine's logger when none is given: warnings and errors to the console, debug and info dropped. */
export const consoleLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m, f) => console.warn(`[flowlane] ${m}`, f ?? ''),
  error: (m, f) => console.error(`[flowlane] ${m}`, f ?? ''),
};

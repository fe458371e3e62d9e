// `pnpm demo`: a release workflow with a retry, a fallback, parallel groups and a cached node, shown live.
import { runDemo } from './run-demo.js';

const outcomes = await runDemo();
if (outcomes.some((o) => o.result.status !== 'success')) process.exitCode = 1;

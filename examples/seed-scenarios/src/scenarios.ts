import { main as caching } from './caching.js';
import { main as deploymentPipeline } from './deployment-pipeline.js';
import { main as errorBoundary } from './error-boundary.js';
import { main as etlPipeline } from './etl-pipeline.js';
import { main as events } from './events.js';
import { main as fallbackCascade } from './fallback-cascade.js';
import { main as parallel100 } from './parallel-100.js';
import { main as retryStrategies } from './retry-strategies.js';
import type { Scenario } from './scenario.js';
import { main as sharedState } from './shared-state.js';
import { main as signals } from './signals.js';

/** Every seed scenario, by the name its package script uses. */
export const SCENARIOS: readonly Scenario[] = [
  { name: 'events', summary: 'custom events between workflows: emitEvent, onEvent, getEvent', main: events },
  { name: 'signals', summary: 'waitForSignal with a timeout, resolved by run.signal', main: signals },
  { name: 'shared-state', summary: 'per-execution storage shared between nodes', main: sharedState },
  {
    name: 'retry-strategies',
    summary: 'exponential, linear and custom (RATE_LIMIT) retries on a virtual clock',
    main: retryStrategies,
  },
  { name: 'error-boundary', summary: 'a boundary that recovers NetworkError and timeouts', main: errorBoundary },
  { name: 'fallback-cascade', summary: 'primary → fallback-1 → fallback-2', main: fallbackCascade },
  { name: 'parallel-100', summary: '100 tasks, at most 10 at once, then a fan-in', main: parallel100 },
  { name: 'caching', summary: 'a node cached by input hash; node.cache-hit on repeat', main: caching },
  {
    name: 'deployment-pipeline',
    summary: 'seed 002: checks → build/push/update → verification, notify may fail',
    main: deploymentPipeline,
  },
  {
    name: 'etl-pipeline',
    summary: 'seed 002: extract → transform (conditional enrich) → load, onError: continue',
    main: etlPipeline,
  },
];

import type { Sleep } from './sleep.js';

/** What every scenario's `main()` accepts: where to print, and how simulated work waits. */
export interface ScenarioOptions {
  /** Where the summary goes. Default `console.log`. */
  readonly log?: ((line: string) => void) | undefined;
  /** How simulated work waits. Default: real time. */
  readonly sleep?: Sleep | undefined;
}

/** A runnable scenario, as listed by `src/cli.ts`. */
export interface Scenario {
  readonly name: string;
  /** One line: what it shows. */
  readonly summary: string;
  /** Runs the scenario and prints a short summary; resolves when its engine is closed. */
  readonly main: (options?: ScenarioOptions) => Promise<unknown>;
}

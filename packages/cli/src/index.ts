/* The command */
export { CliError, ExitCode } from './cli-error.js';
export type { CliIo } from './commands/io.js';
/* Graphs */
export type { GraphFormat } from './graph-format.js';
export { formatGraph, GRAPH_FORMATS, toDot, toMermaid } from './graph-format.js';
export { createProgram, main } from './program.js';
/* Live progress and summary (also used by `pnpm demo`) */
export type { ProgressRow, RowState, TtyProgressOptions } from './progress/progress-view.js';
export {
  applyEvent,
  createPlainProgress,
  createRows,
  createTtyProgress,
  describeEvent,
  isInteractive,
  renderFrame,
} from './progress/progress-view.js';
export type { SummaryRow } from './progress/summary-table.js';
export { formatSummary, seconds, summarize } from './progress/summary-table.js';

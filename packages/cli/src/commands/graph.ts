import { CliError, ExitCode } from '../cli-error.js';
import { formatGraph, GRAPH_FORMATS, type GraphFormat } from '../graph-format.js';
import { importWorkflowFile, pickWorkflow } from '../load-workflow.js';
import { type CliIo, println } from './io.js';
import { closeExportedEngine } from './validate.js';

/** `flowlane graph <file> [--format mermaid|dot|json] [--export name]`. */
export async function graphCommand(
  file: string,
  opts: { format?: string | undefined; export?: string | undefined },
  io: CliIo,
): Promise<number> {
  const format = (opts.format ?? 'mermaid') as GraphFormat;
  if (!GRAPH_FORMATS.includes(format))
    throw new CliError(`Unknown graph format "${format}".`, `Use one of: ${GRAPH_FORMATS.join(', ')}.`, ExitCode.usage);
  const mod = await importWorkflowFile(file, io.cwd);
  try {
    const { workflow } = pickWorkflow(mod, opts.export);
    println(io.stdout, formatGraph(workflow.toJSON(), format));
  } finally {
    await closeExportedEngine(mod);
  }
  return ExitCode.ok;
}

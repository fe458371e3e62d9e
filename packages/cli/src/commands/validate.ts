import { relative } from 'node:path';
import type { DefinitionProblem } from '@flowlane/core';
import { CliError, ExitCode } from '../cli-error.js';
import { importWorkflowFile, isBuilder, isWorkflow, type LoadedModule } from '../load-workflow.js';
import { type CliIo, println } from './io.js';

/** A definition problem as `flowlane validate` reports it. */
export interface ValidationProblem {
  readonly workflow: string;
  readonly code: string;
  readonly node?: string | undefined;
  readonly message: string;
  readonly hint: string;
}

/** How to fix each definition problem (the docs' "How to fix" column, shortened). */
const HINTS: Readonly<Record<string, string>> = {
  FL_DUPLICATE_NODE: 'Rename one of the nodes; ids must be unique within a workflow.',
  FL_MISSING_DEPENDENCY: 'Fix the name in dependsOn, or add the missing node before build().',
  FL_CYCLE: 'Remove one dependsOn edge of the cycle (a workflow is a DAG).',
  FL_UNKNOWN_FALLBACK: 'Point fallback at an existing node, or add that node.',
  FL_FALLBACK_CYCLE: 'End the fallback chain with a node that has no fallback.',
  FL_EMPTY_WORKFLOW: 'Add at least one node with addNode().',
  FL_INVALID_OPTION: 'Use a value in the range the message gives (see docs/builder.md).',
  FL_UNKNOWN_BOUNDARY_TARGET: 'List only existing nodes in the boundary’s forNodes.',
};

const hintFor = (code: string): string => HINTS[code] ?? `See the ${code} row in docs/reference/errors.md.`;

interface DefinitionErrorLike {
  readonly code: 'FL_INVALID_WORKFLOW';
  readonly details: { readonly workflow: string };
  readonly problems: readonly DefinitionProblem[];
}

const isDefinitionError = (e: unknown): e is DefinitionErrorLike =>
  typeof e === 'object' &&
  e !== null &&
  (e as { code?: unknown }).code === 'FL_INVALID_WORKFLOW' &&
  Array.isArray((e as { problems?: unknown }).problems);

const toProblems = (e: DefinitionErrorLike): ValidationProblem[] =>
  e.problems.map((p) => ({
    workflow: e.details.workflow,
    code: p.code,
    ...(p.nodeId === undefined ? {} : { node: p.nodeId }),
    message: p.message,
    hint: hintFor(p.code),
  }));

/**
 * Every definition problem of a workflow file: those `build()` threw while the file loaded, and those of exported
 * builders not built yet. Also the names of the workflows that are valid.
 */
export async function collectProblems(
  file: string,
  cwd: string,
): Promise<{ valid: string[]; problems: ValidationProblem[]; module?: LoadedModule | undefined }> {
  let mod: LoadedModule;
  try {
    mod = await importWorkflowFile(file, cwd);
  } catch (e) {
    if (isDefinitionError(e)) return { valid: [], problems: toProblems(e) };
    throw e;
  }
  const valid: string[] = [];
  const problems: ValidationProblem[] = [];
  for (const value of Object.values(mod.exports)) {
    if (isWorkflow(value)) valid.push(value.name);
    else if (isBuilder(value))
      try {
        valid.push(value.build().name);
      } catch (e) {
        if (!isDefinitionError(e)) throw e;
        problems.push(...toProblems(e));
      }
  }
  if (valid.length === 0 && problems.length === 0)
    throw new CliError(`${file} exports no workflow.`, 'Export a built workflow or a builder.');
  return { valid, problems, module: mod };
}

/** The problems as aligned text: a header per workflow, then code, node, message and hint per problem. */
export function formatProblems(file: string, problems: readonly ValidationProblem[]): string {
  const lines: string[] = [];
  const byWorkflow = new Map<string, ValidationProblem[]>();
  for (const p of problems) byWorkflow.set(p.workflow, [...(byWorkflow.get(p.workflow) ?? []), p]);
  for (const [wf, list] of byWorkflow) {
    lines.push(`✖ ${file}: workflow "${wf}" has ${list.length} problem${list.length === 1 ? '' : 's'}`);
    const codeWidth = Math.max(...list.map((p) => p.code.length));
    const nodeWidth = Math.max(...list.map((p) => (p.node === undefined ? 1 : p.node.length + 5)));
    for (const p of list) {
      lines.push(
        `  ${p.code.padEnd(codeWidth)}  ${(p.node === undefined ? '-' : `node ${p.node}`).padEnd(nodeWidth)}  ${p.message.split('\n', 1)[0]}`,
      );
      lines.push(`  ${''.padEnd(codeWidth)}  ${''.padEnd(nodeWidth)}  hint: ${p.hint}`);
    }
  }
  return lines.join('\n');
}

/** `flowlane validate <file> [--json]`. */
export async function validateCommand(file: string, opts: { json?: boolean | undefined }, io: CliIo): Promise<number> {
  const { valid, problems, module } = await collectProblems(file, io.cwd);
  await closeExportedEngine(module);
  const shown = relative(io.cwd, module?.file ?? file) || file;
  if (opts.json) {
    println(io.stdout, JSON.stringify({ file: shown, valid, problems }));
    return problems.length === 0 ? ExitCode.ok : ExitCode.failed;
  }
  if (problems.length > 0) {
    println(io.stdout, formatProblems(shown, problems));
    return ExitCode.failed;
  }
  println(
    io.stdout,
    `✔ ${shown}: ${valid.length} workflow${valid.length === 1 ? '' : 's'} valid (${valid.join(', ')})`,
  );
  return ExitCode.ok;
}

/** A file that exports a ready-made engine gets it closed when the command only inspected the file. */
export async function closeExportedEngine(mod: LoadedModule | undefined): Promise<void> {
  const e = mod?.exports.engine as { close?: () => Promise<void> } | undefined;
  if (typeof e?.close === 'function') await e.close();
}

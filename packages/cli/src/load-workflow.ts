import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Engine, EngineOptions, FlowlanePlugin, Workflow } from '@flowlane/core';
import { register } from 'tsx/esm/api';
import { CliError, ExitCode } from './cli-error.js';

let registered = false;
function registerTsx(): void {
  if (registered) return;
  register();
  registered = true;
}

/** A workflow file, imported. */
export interface LoadedModule {
  readonly file: string;
  readonly exports: Readonly<Record<string, unknown>>;
}

/** What `@flowlane/core` the workflow file sees (its own copy, so its workflows and errors are the engine's). */
export interface CoreModule {
  createEngine(options?: EngineOptions): Engine;
  isFlowlaneError(e: unknown, code?: string): boolean;
}

/** True for a built workflow (from any copy of core): it has a name, `toJSON()` and no `build()`. */
export function isWorkflow(value: unknown): value is Workflow<unknown, object> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function' &&
    typeof (value as { build?: unknown }).build !== 'function' &&
    Array.isArray((value as { toJSON(): { nodes?: unknown } }).toJSON().nodes)
  );
}

/** True for an unbuilt `WorkflowBuilder`. */
export function isBuilder(value: unknown): value is { build(): Workflow<unknown, object>; readonly name?: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { build?: unknown }).build === 'function' &&
    typeof (value as { addNode?: unknown }).addNode === 'function'
  );
}

/**
 * Imports a TypeScript or JavaScript file without a build step (tsx). Errors thrown while the file loads — including
 * `build()`'s `WorkflowDefinitionError` — propagate to the caller.
 */
export async function importWorkflowFile(file: string, cwd = process.cwd()): Promise<LoadedModule> {
  const path = resolve(cwd, file);
  if (!existsSync(path))
    throw new CliError(`No such file: ${file}`, 'Check the path (relative to the current directory).');
  // A process-wide (not namespaced) tsx loader: the file's imports, @flowlane/core included, load as plain modules, so
  // the engine created from that core (coreFor) is the very instance that built the file's workflows.
  registerTsx();
  const ns = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  return { file: path, exports: ns };
}

/** Named exports that are workflows (built, or builders). */
export function workflowExports(mod: LoadedModule): string[] {
  return Object.keys(mod.exports).filter((k) => isWorkflow(mod.exports[k]) || isBuilder(mod.exports[k]));
}

/**
 * Picks the workflow to use: `--export name`, else `default`, else the only workflow export. A builder is built here
 * (so its definition problems surface as `WorkflowDefinitionError`).
 */
export function pickWorkflow(
  mod: LoadedModule,
  exportName?: string,
): { name: string; workflow: Workflow<unknown, object> } {
  const names = workflowExports(mod);
  let name = exportName;
  if (name === undefined) {
    if (names.includes('default')) name = 'default';
    else if (names.length === 1) name = names[0]!;
    else if (names.length === 0)
      throw new CliError(
        `${mod.file} exports no workflow.`,
        'Export a built workflow (`export default workflow(...)...build()`) or pass --export <name>.',
      );
    else
      throw new CliError(
        `${mod.file} exports several workflows: ${names.join(', ')}.`,
        `Choose one with --export <name> (e.g. --export ${names[0]}).`,
      );
  }
  const value = mod.exports[name];
  if (value === undefined)
    throw new CliError(
      `${mod.file} has no export "${name}".`,
      names.length > 0 ? `Workflow exports: ${names.join(', ')}.` : 'It exports no workflow.',
    );
  if (isBuilder(value)) return { name, workflow: value.build() };
  if (!isWorkflow(value))
    throw new CliError(`Export "${name}" of ${mod.file} is not a workflow.`, 'Export the result of `.build()`.');
  return { name, workflow: value };
}

/** The `@flowlane/core` the workflow file resolves (falls back to the CLI's own). */
export async function coreFor(file: string): Promise<CoreModule> {
  try {
    const path = createRequire(file).resolve('@flowlane/core');
    return (await import(pathToFileURL(path).href)) as CoreModule;
  } catch {
    return (await import('@flowlane/core')) as unknown as CoreModule;
  }
}

/**
 * The engine for `flowlane run`: the file's `engine` export (an Engine, closed by the CLI afterwards), else an engine
 * created with its `engineOptions` export, else a default engine. `extra` plugins and workflows (the store of
 * `--store`, the workflows a resume may need) are added to the options; a ready `engine` export cannot take them.
 */
export function engineFor(
  mod: LoadedModule,
  core: CoreModule,
  extra: {
    readonly plugins?: readonly FlowlanePlugin[];
    readonly workflows?: readonly Workflow<unknown, object>[];
  } = {},
): Engine {
  const e = mod.exports.engine;
  if (typeof e === 'object' && e !== null && typeof (e as Engine).run === 'function') {
    if ((extra.plugins?.length ?? 0) > 0)
      throw new CliError(
        `--store cannot be used with the engine ${mod.file} exports (its plugins are fixed).`,
        'Export `engineOptions = { plugins: [...] }` instead of `engine`, or add redisStore() to that engine and drop --store.',
        ExitCode.usage,
      );
    return e as Engine;
  }
  if (e !== undefined)
    throw new CliError(
      `Export "engine" of ${mod.file} is not an engine.`,
      'Export `engine = createEngine({ … })`, or `engineOptions = { plugins: [...] }`.',
    );
  const options = mod.exports.engineOptions;
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new CliError(
      `Export "engineOptions" of ${mod.file} is not an object.`,
      'Export the options of createEngine().',
    );
  const base = (options ?? {}) as EngineOptions;
  if ((extra.plugins?.length ?? 0) === 0) return core.createEngine(options as EngineOptions | undefined);
  const workflows = [...(base.workflows ?? [])];
  for (const wf of extra.workflows ?? []) if (!workflows.includes(wf)) workflows.push(wf);
  return core.createEngine({ ...base, plugins: [...(base.plugins ?? []), ...(extra.plugins ?? [])], workflows });
}

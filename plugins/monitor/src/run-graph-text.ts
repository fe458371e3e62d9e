import type { RunGraph, WorkflowDescription } from '@flowlane/core';

/*
 * Internal: a run's graph as the monitor keeps it, and how it goes into messages. A run of this engine is kept as
 * core's graph handle (`PluginApi.runGraph`): nothing is described until a client needs the graph, and then core
 * gives it as JSON text (one string per workflow, which the garbage collector does not trace), spliced into the
 * message as is. A run followed from the execution store comes with its description read from the store.
 */

/** Core's handle (runs of this engine) or a description (runs followed from the store). */
export type GraphRef = RunGraph | WorkflowDescription;

const isHandle = (g: GraphRef): g is RunGraph => typeof (g as Partial<RunGraph>).json === 'function';

/** The graph's description as JSON text. */
export const graphText = (g: GraphRef): string => (isHandle(g) ? g.json() : JSON.stringify(g));

/** Nodes not run locally by id (`undefined` when all are), from core's handle or with `fromDescription`. */
export function graphExecutors(
  g: GraphRef,
  fromDescription: (d: WorkflowDescription) => ReadonlyMap<string, string> | undefined,
): ReadonlyMap<string, string> | undefined {
  if (!isHandle(g)) return fromDescription(g);
  const m = g.executors();
  return m.size === 0 ? undefined : m;
}

/**
 * `JSON.stringify({ ...head, description, ...tail })` where the description is given as JSON text (`undefined`:
 * no `description` key, as `JSON.stringify` leaves out an undefined property). `head` must have a property.
 */
export function withDescription(head: object, description: string | undefined, tail?: object): string {
  const h = JSON.stringify(head);
  // Most messages (every event but a run's start): one stringify, no splicing.
  if (description === undefined && tail === undefined) return h;
  const t = tail === undefined ? '{}' : JSON.stringify(tail);
  const mid = description === undefined ? '' : `,"description":${description}`;
  return `${h.slice(0, -1)}${mid}${t === '{}' ? '}' : `,${t.slice(1)}`}`;
}

import type { WorkflowDescription } from '../contracts/descriptions.js';
import type { RunGraph } from '../plugin/contracts/run-graph.js';
import { internalsOf, type Workflow } from '../workflow.js';

/**
 * The {@link RunGraph} of a workflow (`PluginApi.runGraph`): one per workflow, made on first request. It holds the
 * workflow only — never a run — and builds nothing until asked.
 */
class WorkflowGraph implements RunGraph {
  readonly workflow: string;
  readonly #wf: Workflow<unknown, object>;
  #executors: ReadonlyMap<string, string> | undefined;

  constructor(wf: Workflow<unknown, object>) {
    this.workflow = wf.name;
    this.#wf = wf;
  }

  describe(): WorkflowDescription {
    return this.#wf.toJSON();
  }

  json(): string {
    return internalsOf(this.#wf).descriptionText();
  }

  executors(): ReadonlyMap<string, string> {
    if (this.#executors === undefined) {
      const m = new Map<string, string>();
      for (const def of internalsOf(this.#wf).graph.defs) {
        const sel = def.options.executor;
        const name = sel === undefined ? 'local' : typeof sel === 'string' ? sel : sel.name;
        if (name !== 'local') m.set(def.id, name);
      }
      this.#executors = new ReadonlyMapView(m);
    }
    return this.#executors;
  }
}

/**
 * A map every run of a workflow shares, read-only at run time too: it has no `set`, `delete` or `clear`, so a plugin
 * that casts it to `Map` cannot change what other plugins read.
 */
class ReadonlyMapView<K, V> implements ReadonlyMap<K, V> {
  readonly #m: Map<K, V>;
  constructor(m: Map<K, V>) {
    this.#m = m;
  }
  get size(): number {
    return this.#m.size;
  }
  get(key: K): V | undefined {
    return this.#m.get(key);
  }
  has(key: K): boolean {
    return this.#m.has(key);
  }
  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.#m) fn.call(thisArg, v, k, this);
  }
  entries(): MapIterator<[K, V]> {
    return this.#m.entries();
  }
  keys(): MapIterator<K> {
    return this.#m.keys();
  }
  values(): MapIterator<V> {
    return this.#m.values();
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#m.entries();
  }
}

const graphs = new WeakMap<Workflow<unknown, object>, WorkflowGraph>();

/** The graph handle of a workflow (shared by all its runs). */
export function runGraphOf(wf: Workflow<unknown, object>): RunGraph {
  let g = graphs.get(wf);
  if (g === undefined) graphs.set(wf, (g = new WorkflowGraph(wf)));
  return g;
}

import type { AuditInput } from '../builder/types.js';
import { FlowlaneError } from '../errors.js';
import type { ExecutionStorage, Executor, StateStore } from '../plugin/types.js';
import type { Redactor } from '../runtime/redactor.js';
import type { Journal } from './journal.js';
import type { RunHost } from './run-host.js';

/**
 * Services a node reaches through its context that need the engine's plugins: run-scoped storage, secrets, audit
 * records and executors. `Execution` delegates to these; `RunNodeContext` is their public face.
 */

/** `ctx.storage`: the state store scoped to one run; a durable run logs every write. */
export function runStorage(
  store: StateStore,
  executionId: string,
  journal: () => Journal | undefined,
): ExecutionStorage {
  return {
    get: async <T>(key: string) => (await store.get(executionId, key)) as T | undefined,
    set: async (key, value) => {
      await store.set(executionId, key, value);
      journal()?.storage(key, value, false);
    },
    delete: async (key) => {
      await store.delete(executionId, key);
      journal()?.storage(key, undefined, true);
    },
  };
}

/** `ctx.getSecret`: the first provider that knows `name`; the value joins the run family's redaction set. */
export async function resolveSecret(
  providers: RunHost['rt']['secrets'],
  redactor: () => Redactor,
  name: string,
): Promise<string> {
  for (const p of providers) {
    const v = await p.get(name);
    if (v !== undefined) {
      redactor().add(v);
      return v;
    }
  }
  throw new FlowlaneError('FL_SECRET_NOT_FOUND', { name, providers: providers.map((p) => p.name) });
}

/** `ctx.audit`: one record, redacted, to every audit sink (a failing sink is logged, not thrown). */
export async function writeAudit(
  h: RunHost,
  redactor: Redactor | undefined,
  i: number,
  record: AuditInput,
): Promise<void> {
  const full = {
    timestamp: h.rt.clock.now(),
    executionId: h.executionId,
    workflow: h.workflow,
    nodeId: h.g.ids[i]!,
    ...(h.actor === undefined ? {} : { actor: h.actor.id }),
    ...record,
  };
  const safe = redactor?.active ? redactor.value(full) : full;
  await Promise.all(
    h.rt.auditSinks.map(async (s) => {
      try {
        await s.write(safe);
      } catch (e) {
        h.rt.logger.error('audit sink failed', { sink: s.name, error: h.serialize(e).message });
      }
    }),
  );
}

/** The executor node `i` uses (its `executor` option, else `local`) and the target (explicit, option, lease). */
export function executorFor(
  h: Pick<RunHost, 'rt' | 'g'>,
  i: number,
  explicitTarget: string | undefined,
  workerId: string | undefined,
): { executor: Executor; target: string | undefined } {
  const sel = h.g.defs[i]!.options.executor;
  const name = sel === undefined ? 'local' : typeof sel === 'string' ? sel : sel.name;
  const executor = h.rt.executors.get(name);
  if (executor === undefined)
    throw new FlowlaneError('FL_EXECUTOR_NOT_FOUND', {
      nodeId: h.g.ids[i]!,
      executor: name,
      available: [...h.rt.executors.keys()],
    });
  return {
    executor,
    target: explicitTarget ?? (typeof sel === 'object' ? sel.target : undefined) ?? workerId,
  };
}

/** Every workflow `build()` returned, in this copy of core (a set without imports, so any layer may ask). */
const built = new WeakSet<object>();

/** Internal: records a workflow returned by `WorkflowBuilder.build()`. */
export function markBuilt(workflow: object): void {
  built.add(workflow);
}

/** Internal: true for a workflow returned by `WorkflowBuilder.build()` (of this copy of core). */
export function isBuiltWorkflow(value: unknown): boolean {
  return typeof value === 'object' && value !== null && built.has(value);
}

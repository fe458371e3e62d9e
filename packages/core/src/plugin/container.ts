// The one module that loads reflect-metadata: tsyringe needs it before it is imported.
import 'reflect-metadata';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';

/** A new child container of `parent` (default: tsyringe's root container), one per engine. */
export function createChildContainer(parent?: DependencyContainer): DependencyContainer {
  return (parent ?? rootContainer).createChildContainer();
}

export type { DependencyContainer };

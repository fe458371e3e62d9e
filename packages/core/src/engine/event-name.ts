import { FlowlaneError } from '../errors.js';

/** `ctx.emitEvent(name)`: a name that is not a non-empty string throws `FL_INVALID_OPTION` naming the node. */
export function checkEventName(nodeId: string, name: unknown): void {
  if (typeof name !== 'string' || name === '')
    throw new FlowlaneError('FL_INVALID_OPTION', {
      nodeId,
      option: 'emitEvent name',
      reason: 'expected a non-empty string',
    });
}

import { FlowlaneError } from '../errors.js';
import { unknownKeys } from '../options/unknown-keys.js';

/** Internal: rejects keys of an options object that are not in `known` (`FL_INVALID_OPTION`, "did you mean …?"). */
export function checkOptionKeys(where: string, what: string, options: object, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null)
    throw new FlowlaneError('FL_INVALID_OPTION', { where, option: what, reason: 'expected an options object' });
  const [u] = unknownKeys(options, known);
  if (u !== undefined)
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where,
      option: `${what}.${u.key}`,
      reason: `unknown option${u.suggestion === undefined ? '' : ` (did you mean "${u.suggestion}"?)`}; known options: ${known.join(', ')}`,
    });
}

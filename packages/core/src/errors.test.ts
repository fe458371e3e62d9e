import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, FlowlaneError, isFlowlaneError, serializeError, WorkflowDefinitionError } from './errors.js';
import { CORE_VERSION } from './version.js';

const docs = readFileSync(fileURLToPath(new URL('../../../docs/reference/errors.md', import.meta.url)), 'utf8');

describe('error table', () => {
  it('every code has a row in docs/reference/errors.md (Code · Meaning · How to fix), and no row is stale', () => {
    const rows = [...docs.matchAll(/^\| `(FL_[A-Z_]+)` \| (.+?) \| (.+?) \|$/gm)].map((m) => m[1]);
    expect(new Set(rows)).toEqual(new Set(Object.keys(ErrorCodes)));
  });

  it('messages interpolate details and errors carry code, details and cause', () => {
    const cause = new Error('root');
    const e = new FlowlaneError('FL_CYCLE', { path: ['a', 'b', 'a'] }, { cause });
    expect(e.message).toBe('Dependency cycle: a → b → a. Remove one edge.');
    expect(e.code).toBe('FL_CYCLE');
    expect(e.details).toEqual({ path: ['a', 'b', 'a'] });
    expect(e.cause).toBe(cause);
    expect(isFlowlaneError(e, 'FL_CYCLE')).toBe(true);
    expect(isFlowlaneError(e, 'FL_TIMEOUT')).toBe(false);
    expect(serializeError(e)).toMatchObject({ name: 'FlowlaneError', code: 'FL_CYCLE', cause: { message: 'root' } });
  });

  it('WorkflowDefinitionError lists problems in its message', () => {
    const e = new WorkflowDefinitionError('w', [{ code: 'FL_EMPTY_WORKFLOW', message: 'no nodes' }]);
    expect(e.code).toBe('FL_INVALID_WORKFLOW');
    expect(e.message).toContain('[FL_EMPTY_WORKFLOW] no nodes');
  });

  it('CORE_VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
      version: string;
    };
    expect(CORE_VERSION).toBe(pkg.version);
  });
});

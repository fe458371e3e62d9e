import { describe, expect, expectTypeOf, it } from 'vitest';
import { isFlowlaneError, serializeError } from '../errors.js';
import { definePluginErrors } from './define-plugin-errors.js';

const FooError = definePluginErrors('FooError', {
  FL_FOO_DOWN: (p: { host: string }) => `Host "${p.host}" is down. Start it.`,
  FL_FOO_AUTH: (p: { user: string }) => `User "${p.user}" was refused. Check the key.`,
});

describe('definePluginErrors', () => {
  it('builds typed, branded errors from a table', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new FooError('FL_FOO_DOWN', { host: 'web1' }, { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('FooError');
    expect(e.message).toBe('Host "web1" is down. Start it.');
    expect(e.code).toBe('FL_FOO_DOWN');
    expect(e.details).toEqual({ host: 'web1' });
    expect(e.cause).toBe(cause);
    expectTypeOf(e.details).toEqualTypeOf<{ host: string }>();
    expect(isFlowlaneError(e)).toBe(true);
    expect(isFlowlaneError(e, 'FL_FOO_DOWN')).toBe(true);
    expect(FooError.is(e, 'FL_FOO_AUTH')).toBe(false);
    expect(FooError.is(e)).toBe(true);
    expect(FooError.codes).toEqual(['FL_FOO_DOWN', 'FL_FOO_AUTH']);
    expect(serializeError(e)).toMatchObject({ name: 'FooError', code: 'FL_FOO_DOWN', details: { host: 'web1' } });
  });

  it('recognises errors of the same table from another copy of the package (by brand), not other tables', () => {
    const foreign = Object.assign(new Error('x'), {
      code: 'FL_FOO_AUTH',
      details: { user: 'u' },
      [Symbol.for('flowlane.error')]: true,
    });
    expect(FooError.is(foreign, 'FL_FOO_AUTH')).toBe(true);
    const BarError = definePluginErrors('BarError', { FL_BAR_X: () => 'x' });
    expect(BarError.is(new FooError('FL_FOO_AUTH', { user: 'u' }))).toBe(false);
  });

  it('rejects unknown codes', () => {
    expect(() => new FooError('FL_NOPE' as never, {} as never)).toThrow('FooError: unknown error code "FL_NOPE"');
  });
});

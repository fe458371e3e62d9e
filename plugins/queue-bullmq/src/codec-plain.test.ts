import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from './codec.js';
import { BullmqError } from './errors.js';

const enc = (v: unknown) => encodePayload(v, { nodeId: 'n', what: 'result' });
const refused = (v: unknown) => {
  try {
    enc(v);
  } catch (e) {
    return e as BullmqError;
  }
  throw new Error('encoded');
};

describe('payload codec: plain JSON data is encoded as JSON, everything else as before', () => {
  it('plain data: the JSON text itself, dropped undefined keys, key order kept', () => {
    const v = { b: 1, a: 'x', n: null, t: true, list: [1, 'two', [3], { four: 4 }], skip: undefined, z: -0 };
    expect(enc(v)).toBe('{"b":1,"a":"x","n":null,"t":true,"list":[1,"two",[3],{"four":4}],"z":0}');
    expect(enc(7)).toBe('7');
    expect(enc('s')).toBe('"s"');
    expect(enc(null)).toBe('null');
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { k: 1 });
    expect(enc(bare)).toBe('{"k":1}');
  });

  it('values JSON would change or drop still get tags or a typed error', () => {
    // Each on its own (a value with one tagged part anywhere takes the encoder's walk as a whole).
    const round = (v: unknown) => decodePayload(enc(v));
    expect(round({ list: [1, undefined] })).toStrictEqual({ list: [1, undefined] });
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is checked
    expect(round([1, , 3])).toStrictEqual([1, null, 3]);
    expect(round({ deep: { inner: { $fl: 'bigint', v: '7' } } })).toStrictEqual({
      deep: { inner: { $fl: 'bigint', v: '7' } },
    });
    expect(round({ at: [{ d: new Date(5) }] })).toStrictEqual({ at: [{ d: new Date(5) }] });
    // JSON.stringify would silently drop a function or a symbol, and write null for NaN or Infinity.
    expect(refused({ a: [{ f: () => 1 }] }).message).toContain('result.a[0].f');
    expect(refused({ s: Symbol('x') }).code).toBe('FL_BULLMQ_UNSERIALIZABLE');
    expect(refused([1, Number.POSITIVE_INFINITY]).message).toContain('result[1]');
    expect(decodePayload(enc({ big: [1n] }))).toEqual({ big: [1n] });
  });

  it('an own "__proto__" key (JSON.parse makes one) is dropped as before, whether or not other parts take tags', () => {
    const own = JSON.parse('{"__proto__":{"admin":true},"b":2}') as Record<string, unknown>;
    expect(enc(own)).toBe('{"b":2}');
    expect(enc([own])).toBe('[{"b":2}]');
    // The same object beside a tagged value (the encoder's walk) encoded the same before the plain-JSON path.
    const mixed = decodePayload(enc({ at: new Date(0), own })) as { own: Record<string, unknown> };
    expect(Object.keys(mixed.own)).toEqual(['b']);
    const plain = decodePayload(enc({ own })) as { own: Record<string, unknown> };
    expect(Object.keys(plain.own)).toEqual(['b']);
    expect(Object.getPrototypeOf(plain.own)).toBe(Object.prototype);
  });

  it('deep plain data round-trips; a cycle is still found', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let k = 0; k < 50; k++) deep = { k, next: deep };
    expect(decodePayload(enc(deep))).toEqual(deep);
    const a: unknown[] = [1];
    a.push({ back: a });
    const e = refused(a);
    expect(BullmqError.is(e, 'FL_BULLMQ_UNSERIALIZABLE')).toBe(true);
    expect(e.message).toContain('cycle');
  });
});

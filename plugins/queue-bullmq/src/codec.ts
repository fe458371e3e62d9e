import { BullmqError } from './errors.js';

/** Default largest encoded payload (inputs or a result), bytes. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

const TAG = '$fl';

/**
 * Encode a value for a job: JSON, with `Date`, `BigInt`, `Map`, `Set`, `Uint8Array`/`Buffer` and `undefined` array
 * items kept through tagged objects (`{ "$fl": "date", "v": … }`). Functions, symbols, class instances, cycles and
 * non-finite numbers throw `FL_BULLMQ_UNSERIALIZABLE`; an encoding over `limit` bytes throws
 * `FL_BULLMQ_PAYLOAD_TOO_LARGE`. Object keys whose value is `undefined` are dropped, as in JSON.
 *
 * @example
 * ```ts
 * import { decodePayload, encodePayload } from '@flowlane/queue-bullmq';
 * const s = encodePayload({ at: new Date(0), n: 2n }, { nodeId: 'a', what: 'input' });
 * console.log(decodePayload(s)); // { at: 1970-01-01T00:00:00.000Z, n: 2n }
 * ```
 */
export function encodePayload(
  value: unknown,
  where: { nodeId: string; what: string; limit?: number | undefined },
): string {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): unknown => {
    const bad = (reason: string): never => {
      throw new BullmqError('FL_BULLMQ_UNSERIALIZABLE', { nodeId: where.nodeId, what: where.what, path, reason });
    };
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : bad(`is ${v}, which JSON cannot hold`);
      case 'bigint':
        return { [TAG]: 'bigint', v: v.toString() };
      case 'undefined':
        return { [TAG]: 'undef' };
      case 'function':
        return bad('is a function');
      case 'symbol':
        return bad('is a symbol');
    }
    if (v === null) return null;
    const o = v as object;
    if (seen.has(o)) bad('is a cycle (a value that contains itself)');
    seen.add(o);
    try {
      if (Array.isArray(o)) return o.map((x, k) => walk(x, `${path}[${k}]`));
      if (o instanceof Date) return { [TAG]: 'date', v: o.toISOString() };
      if (o instanceof Uint8Array)
        return { [TAG]: 'bytes', v: Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('base64') };
      if (o instanceof Map)
        return { [TAG]: 'map', v: [...o].map(([k, x], n) => [walk(k, `${path}<key ${n}>`), walk(x, `${path}<${n}>`)]) };
      if (o instanceof Set) return { [TAG]: 'set', v: [...o].map((x, n) => walk(x, `${path}<${n}>`)) };
      const proto = Object.getPrototypeOf(o) as unknown;
      if (proto !== Object.prototype && proto !== null)
        bad(
          `is a ${(o as { constructor?: { name?: string } }).constructor?.name ?? 'class'} instance (send plain data)`,
        );
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) {
        if (x === undefined) continue;
        out[k] = walk(x, `${path}.${k}`);
      }
      if (TAG in out) return { [TAG]: 'obj', v: out };
      return out;
    } finally {
      seen.delete(o);
    }
  };
  const text = JSON.stringify(walk(value, where.what));
  const limit = where.limit ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const bytes = Buffer.byteLength(text);
  if (bytes > limit)
    throw new BullmqError('FL_BULLMQ_PAYLOAD_TOO_LARGE', { nodeId: where.nodeId, what: where.what, bytes, limit });
  return text;
}

/**
 * Decode what {@link encodePayload} made.
 *
 * @example
 * ```ts
 * import { decodePayload } from '@flowlane/queue-bullmq';
 * console.log(decodePayload('{"$fl":"bigint","v":"7"}')); // 7n
 * ```
 */
export function decodePayload(text: string): unknown {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const o = v as Record<string, unknown>;
    if (typeof o[TAG] === 'string') {
      const x = o.v;
      switch (o[TAG]) {
        case 'bigint':
          return BigInt(x as string);
        case 'undef':
          return undefined;
        case 'date':
          return new Date(x as string);
        case 'bytes':
          return new Uint8Array(Buffer.from(x as string, 'base64'));
        case 'map':
          return new Map((x as [unknown, unknown][]).map(([k, y]) => [walk(k), walk(y)]));
        case 'set':
          return new Set((x as unknown[]).map(walk));
        case 'obj': {
          const out: Record<string, unknown> = {};
          for (const [k, y] of Object.entries(x as object)) out[k] = walk(y);
          return out;
        }
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, y] of Object.entries(o)) out[k] = walk(y);
    return out;
  };
  return walk(JSON.parse(text));
}

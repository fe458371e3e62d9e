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
  // Plain JSON data (most inputs and results) is its own encoding: no copy, no tags.
  const text = JSON.stringify(isPlainJson(value, PLAIN_DEPTH) ? value : new Encoder(where).walk(value));
  const limit = where.limit ?? DEFAULT_MAX_PAYLOAD_BYTES;
  // A string of n UTF-16 units is at most 3n bytes: count them only when that could pass the limit.
  if (text.length * 3 > limit) {
    const bytes = Buffer.byteLength(text);
    if (bytes > limit)
      throw new BullmqError('FL_BULLMQ_PAYLOAD_TOO_LARGE', { nodeId: where.nodeId, what: where.what, bytes, limit });
  }
  return text;
}

/** How deep {@link isPlainJson} looks; deeper data (or a cycle) takes the encoder's walk. */
const PLAIN_DEPTH = 32;

/**
 * Whether `JSON.stringify(v)` is already `v`'s encoding: strings, finite numbers, booleans and null in arrays and plain
 * objects (an object key holding `undefined` is dropped either way), no `"$fl"` or own `"__proto__"` key, no array hole
 * or `undefined` item, at most `depth` levels. Allocates nothing; anything else (and every error) goes through the
 * {@link Encoder}.
 */
function isPlainJson(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) return true;
  if (depth === 0) return false;
  if (Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) if (!isPlainJson(v[k], depth - 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if ((proto !== Object.prototype && proto !== null) || Object.hasOwn(v, TAG)) return false;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    // An own "__proto__" key (as JSON.parse makes): the encoder's copy drops it (assigning it sets the copy's
    // prototype), and so must this path, or it would depend on the rest of the value whether it is sent.
    if (k === '__proto__') return false;
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined && !isPlainJson(x, depth - 1)) return false;
  }
  return true;
}

/**
 * One encoding: the walk keeps the path to the current value as a stack of steps (turned into text only for an
 * error) and the objects being walked (a cycle is a value that contains itself).
 */
class Encoder {
  readonly #seen = new Set<object>();
  readonly #steps: string[] = [];
  constructor(private readonly where: { nodeId: string; what: string }) {}

  #bad(reason: string): never {
    const { nodeId, what } = this.where;
    throw new BullmqError('FL_BULLMQ_UNSERIALIZABLE', { nodeId, what, path: what + this.#steps.join(''), reason });
  }

  /** Walks `v` under the step `step` (`.key`, `[n]`, `<n>`, `<key n>`). */
  #at(step: string, v: unknown): unknown {
    this.#steps.push(step);
    const out = this.walk(v);
    this.#steps.pop();
    return out;
  }

  walk(v: unknown): unknown {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : this.#bad(`is ${v}, which JSON cannot hold`);
      case 'bigint':
        return { [TAG]: 'bigint', v: v.toString() };
      case 'undefined':
        return { [TAG]: 'undef' };
      case 'function':
        return this.#bad('is a function');
      case 'symbol':
        return this.#bad('is a symbol');
    }
    if (v === null) return null;
    const o = v as object;
    const seen = this.#seen;
    if (seen.has(o)) this.#bad('is a cycle (a value that contains itself)');
    seen.add(o);
    try {
      if (Array.isArray(o)) {
        const out = new Array<unknown>(o.length);
        // A hole stays a hole (JSON null), as Array.prototype.map leaves it.
        for (let k = 0; k < o.length; k++) if (k in o) out[k] = this.#at(`[${k}]`, o[k]);
        return out;
      }
      const proto = Object.getPrototypeOf(o) as unknown;
      if (proto === Object.prototype || proto === null) {
        const out: Record<string, unknown> = {};
        for (const k in o) {
          if (!Object.hasOwn(o, k)) continue;
          const x = (o as Record<string, unknown>)[k];
          if (x === undefined) continue;
          out[k] = this.#at(`.${k}`, x);
        }
        if (Object.hasOwn(out, TAG)) return { [TAG]: 'obj', v: out };
        return out;
      }
      if (o instanceof Date) return { [TAG]: 'date', v: o.toISOString() };
      if (o instanceof Uint8Array)
        return { [TAG]: 'bytes', v: Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString('base64') };
      if (o instanceof Map)
        return {
          [TAG]: 'map',
          v: [...o].map(([k, x], n) => [this.#at(`<key ${n}>`, k), this.#at(`<${n}>`, x)]),
        };
      if (o instanceof Set) return { [TAG]: 'set', v: [...o].map((x, n) => this.#at(`<${n}>`, x)) };
      return this.#bad(
        `is a ${(o as { constructor?: { name?: string } }).constructor?.name ?? 'class'} instance (send plain data)`,
      );
    } finally {
      seen.delete(o);
    }
  }
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
  // Only a text holding the key "$fl" has tagged objects (a "$fl" inside a string is escaped as \"$fl\").
  if (!text.includes(`"${TAG}"`)) return JSON.parse(text);
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

import { type SerializedError, serializeError } from '../errors.js';

/** The text that replaces every secret value. */
export const REDACTED = '[REDACTED]';

/**
 * Per-run set of secret values: every string that leaves a node (events, logs, errors, audit records, metric
 * labels) goes through `string()` / `value()` / `error()`. Multi-line secrets are also redacted line by line so a
 * value logged one line at a time does not escape.
 */
export class Redactor {
  #patterns: string[] = [];

  /** True once at least one secret was added. */
  get active(): boolean {
    return this.#patterns.length > 0;
  }

  /** Add a secret value (and its JSON-escaped form and, for multi-line values, each line of 4+ characters). */
  add(secret: string): void {
    if (typeof secret !== 'string' || secret === '') return;
    const candidates = new Set([secret]);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) candidates.add(escaped);
    if (/[\r\n]/.test(secret))
      for (const line of secret.split(/\r?\n/)) {
        const t = line.trim();
        if (t.length >= 4) candidates.add(t);
      }
    for (const c of candidates) if (!this.#patterns.includes(c)) this.#patterns.push(c);
    // Longest first, so a secret containing another is replaced whole.
    this.#patterns.sort((a, b) => b.length - a.length);
  }

  /** Add every value `other` redacts (a run that receives another run's value or error adopts its secrets). */
  absorb(other: Redactor): void {
    if (other === this) return;
    for (const p of other.#patterns) if (!this.#patterns.includes(p)) this.#patterns.push(p);
    this.#patterns.sort((a, b) => b.length - a.length);
  }

  /** Redact one string. */
  string(s: string): string {
    let out = s;
    for (const p of this.#patterns) if (out.includes(p)) out = out.split(p).join(REDACTED);
    return out;
  }

  /** Deep copy of a JSON-like value with every string redacted (cycles cut, depth bounded). */
  value<T>(v: T): T {
    if (!this.active) return v;
    return this.#walk(v, 0, new WeakSet()) as T;
  }

  /** A serialised, redacted error. */
  error(e: unknown, options?: { stack?: boolean }): SerializedError {
    const s = serializeError(e, options);
    return this.active ? (this.#walk(s, 0, new WeakSet()) as SerializedError) : s;
  }

  #walk(v: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof v === 'string') return this.string(v);
    if (typeof v !== 'object' || v === null) return v;
    if (depth > 32 || seen.has(v)) return '[Circular]';
    seen.add(v);
    if (v instanceof Error) return this.#walk(serializeError(v), depth + 1, seen);
    if (Array.isArray(v)) return v.map((x) => this.#walk(x, depth + 1, seen));
    if (v instanceof Map) return this.#walk(Object.fromEntries(v), depth + 1, seen);
    if (v instanceof Set) return this.#walk([...v], depth + 1, seen);
    if (v instanceof Date) return v;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return this.#bytes(v);
    // What JSON.stringify would write (a class with toJSON, a Decimal, a URL…), redacted.
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      let json: unknown;
      try {
        json = toJSON.call(v, '');
      } catch {
        return '[unserializable]';
      }
      return this.#walk(json, depth + 1, seen);
    }
    // fromEntries defines own properties, so a key named `__proto__` stays a key.
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.string(k), this.#walk(x, depth + 1, seen)]));
  }

  /**
   * A byte view (Buffer, typed array, DataView, ArrayBuffer) that holds a secret's UTF-8 bytes: a Buffer becomes a
   * redacted copy (the secret's bytes replaced by `[REDACTED]`), any other view the string `[REDACTED]`. Views
   * without a secret are returned as they are.
   */
  #bytes(v: ArrayBufferView | ArrayBufferLike): unknown {
    const bytes = ArrayBuffer.isView(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(v);
    let found = false;
    for (const p of this.#patterns)
      if (bytes.includes(p, 0, 'utf8')) {
        found = true;
        break;
      }
    if (!found) return v;
    if (!Buffer.isBuffer(v)) return REDACTED;
    const replacement = Buffer.from(REDACTED, 'utf8');
    let out = Buffer.from(bytes);
    for (const p of this.#patterns) {
      const needle = Buffer.from(p, 'utf8');
      const parts: Buffer[] = [];
      let from = 0;
      for (let k = out.indexOf(needle, from); k !== -1; k = out.indexOf(needle, from)) {
        parts.push(out.subarray(from, k), replacement);
        from = k + needle.length;
      }
      if (parts.length > 0) {
        parts.push(out.subarray(from));
        out = Buffer.concat(parts);
      }
    }
    return out;
  }
}

/* Plugin contracts: stores. */

/** A cached value. */
export interface CacheEntry {
  readonly value: unknown;
}

/** Stores node outputs for `cache`. `get` may answer synchronously (fast hit path). */
export interface CacheStore {
  readonly name: string;
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  set(key: string, value: unknown, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /**
   * Optional: single-flight across processes sharing the store. Called on a miss, before computing. Resolve
   * `{ compute: true, release }` when this caller should compute the value (the store holds a lock on `key` for at
   * most `lockMs`; `release()` is called after `set`), or `{ compute: false, entry }` when another process held the
   * lock and finished meanwhile (`entry` undefined: it failed or its lock expired — the caller computes without a lock).
   */
  acquire?(key: string, lockMs: number): Promise<CacheLock>;
  dispose?(): void | Promise<void>;
}

/** What {@link CacheStore.acquire} answers. */
export type CacheLock =
  | { readonly compute: true; release(): void }
  | { readonly compute: false; readonly entry: CacheEntry | undefined };

/** Per-execution key/value state behind `ctx.storage`. */
export interface StateStore {
  readonly name: string;
  get(executionId: string, key: string): unknown | Promise<unknown>;
  set(executionId: string, key: string, value: unknown): void | Promise<void>;
  delete(executionId: string, key: string): void | Promise<void>;
  /** Called when a run settles; ephemeral stores drop the execution's state, durable ones may keep it. */
  release?(executionId: string): void | Promise<void>;
  dispose?(): void | Promise<void>;
}

/** `ctx.storage`. */
export interface ExecutionStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

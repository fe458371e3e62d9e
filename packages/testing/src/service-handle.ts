/** Disposal shared by every service helper: `await using` support and an idempotent `dispose()`. */
export interface ServiceHandle {
  /** Stops the service, waits for its processes to exit and removes its private files. Idempotent. */
  dispose(): Promise<void>;
  /** Same as `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Adds an idempotent `dispose` (running `cleanup` once) and `Symbol.asyncDispose` to `info`. */
export function createServiceHandle<T extends object>(info: T, cleanup: () => Promise<void>): T & ServiceHandle {
  let disposing: Promise<void> | undefined;
  const dispose = (): Promise<void> => {
    disposing ??= cleanup();
    return disposing;
  };
  return Object.assign(info, { dispose, [Symbol.asyncDispose]: dispose });
}

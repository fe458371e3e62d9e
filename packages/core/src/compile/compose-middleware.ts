import type { Middleware, MiddlewareContext } from '../plugin/types.js';

/**
 * Koa-style composition: `middleware[0]` is the outermost layer; `inner` runs the node. Calling `next()` twice in
 * one layer is an error.
 *
 * @example
 * ```ts
 * import { composeMiddleware, type Middleware, type MiddlewareContext } from '@flowlane/core';
 *
 * declare const ctx: MiddlewareContext; // what the engine passes each middleware for one node attempt
 * const timing: Middleware = async (ctx, next) => {
 *   const started = performance.now();
 *   try {
 *     return await next();
 *   } finally {
 *     console.log(`${ctx.nodeId}: ${performance.now() - started} ms`);
 *   }
 * };
 * const logging: Middleware = (ctx, next) => (console.log(`start ${ctx.nodeId}`), next());
 * await composeMiddleware([timing, logging], ctx, async () => 'the node ran');
 * ```
 */
export function composeMiddleware(
  middleware: readonly Middleware[],
  ctx: MiddlewareContext,
  inner: () => Promise<unknown>,
): Promise<unknown> {
  let index = -1;
  const dispatch = (i: number): Promise<unknown> => {
    if (i <= index) return Promise.reject(new Error('next() called multiple times in one middleware'));
    index = i;
    if (i === middleware.length) return inner();
    try {
      return Promise.resolve(middleware[i]!(ctx, () => dispatch(i + 1)));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return dispatch(0);
}

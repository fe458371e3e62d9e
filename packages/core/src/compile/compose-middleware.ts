import type { Middleware, MiddlewareContext } from '../plugin/types.js';

/**
 * Koa-style composition: `middleware[0]` is the outermost layer; `inner` runs the node. Calling `next()` twice in
 * one layer is an error.
 *
 * @example
 * ```ts
 * await composeMiddleware([timing, logging], ctx, () => runNode());
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

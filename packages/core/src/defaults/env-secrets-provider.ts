import type { SecretsProvider } from '../plugin/types.js';

/** Prefix of the environment variables the default secrets provider reads (kept out of commands' environment). */
export const SECRET_ENV_PREFIX = 'FLOWLANE_SECRET_';

/** Environment variable holding secret `name`: `FLOWLANE_SECRET_` + the name upper-cased, non-alphanumerics as `_`. */
export function secretEnvName(name: string, prefix = SECRET_ENV_PREFIX): string {
  return prefix + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * The default secrets provider: `ctx.getSecret('db-password')` reads `FLOWLANE_SECRET_DB_PASSWORD`.
 *
 * @example
 * ```ts
 * import { createEngine, createEnvSecretsProvider } from '@flowlane/core';
 *
 * process.env.FLOWLANE_SECRET_API_KEY = 's3cr3t';
 * const engine = createEngine({ secrets: [createEnvSecretsProvider()] });
 * await engine.close();
 * ```
 */
export function createEnvSecretsProvider(options: { prefix?: string; env?: NodeJS.ProcessEnv } = {}): SecretsProvider {
  const env = options.env ?? process.env;
  return { name: 'env', get: (name) => env[secretEnvName(name, options.prefix)] };
}

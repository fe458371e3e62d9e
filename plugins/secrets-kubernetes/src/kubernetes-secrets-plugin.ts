import {
  allKeys,
  definePlugin,
  type FlowlanePlugin,
  type SecretsProvider,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubernetesSecretsError } from './errors.js';
import { SecretWatch } from './secret-watch.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Where the kubeconfig comes from. */
export type KubeConfigSource =
  /** `KUBECONFIG`, `~/.kube/config`, or in-cluster — like kubectl. */
  | { readonly from: 'default' }
  /** The pod's service account. */
  | { readonly from: 'in-cluster' }
  | { readonly from: 'file'; readonly path: string; readonly context?: string | undefined }
  | { readonly from: 'yaml'; readonly yaml: string; readonly context?: string | undefined };

/** A Secret key a Flowlane secret name stands for. */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
  /** Default: the provider's `namespace`. */
  readonly namespace?: string | undefined;
}

/** Options of {@link kubernetesSecrets}. */
export interface KubernetesSecretsOptions {
  /** Default `{ from: 'default' }`. */
  readonly kubeConfig?: KubeConfigSource | undefined;
  /** Namespace of references without one. Default: the kubeconfig context's namespace, else `default`. */
  readonly namespace?: string | undefined;
  /** Namespaces references may name. Default: only `namespace`. */
  readonly allowedNamespaces?: readonly string[] | undefined;
  /** Names for `ctx.getSecret` → Secret keys, e.g. `{ 'db-password': { name: 'db', key: 'password' } }`. Default none. */
  readonly secrets?: Readonly<Record<string, SecretRef>> | undefined;
  /** Provider name. Default `'kubernetes'`. */
  readonly name?: string | undefined;
}

const KNOWN = allKeys<KubernetesSecretsOptions>()(['kubeConfig', 'namespace', 'allowedNamespaces', 'secrets', 'name']);
const REF_KEYS = allKeys<SecretRef>()(['name', 'key', 'namespace']);
const DNS = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * A secrets provider reading Kubernetes Secrets through `@kubernetes/client-node`. `ctx.getSecret(name)` resolves
 * `name` through the `secrets` map, or as `secret/key` (provider namespace) or `namespace/secret/key`; other names are
 * left to the next provider. Each Secret is read once and then kept current by a watch, so a changed or deleted Secret
 * is seen by the next lookup without polling.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { startFakeKubeApi } from '@flowlane/testing';
 * import { kubernetesSecrets } from '@flowlane/secrets-kubernetes';
 *
 * await using api = await startFakeKubeApi({ secrets: [{ name: 'db', data: { password: 'hunter2' } }] });
 * const engine = createEngine({
 *   plugins: [kubernetesSecrets({ kubeConfig: { from: 'file', path: api.kubeconfigPath }, secrets: { 'db-password': { name: 'db', key: 'password' } } })],
 * });
 * const wf = workflow('w').addNode('n', async (ctx) => (await ctx.getSecret('db-password')).length).build();
 * console.log((await engine.run(wf, undefined).result).outputs.n); // 7
 * await engine.close();
 * ```
 */
export function kubernetesSecrets(options: KubernetesSecretsOptions = {}): FlowlanePlugin {
  checkOptions(options);
  const o = { ...options };
  return definePlugin({
    name: '@flowlane/secrets-kubernetes',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const kc = loadKubeConfig(o.kubeConfig ?? { from: 'default' });
      const core = kc.makeApiClient(CoreV1Api);
      const namespace = o.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
      const allowed = o.allowedNamespaces ?? [namespace];
      const watches = new Map<string, SecretWatch>();
      const watchOf = async (ns: string, name: string): Promise<SecretWatch> => {
        const id = `${ns}/${name}`;
        let w = watches.get(id);
        if (w === undefined) {
          w = new SecretWatch(kc, core, ns, name, (e) =>
            api.logger.warn('kubernetes secret watch failed; reading again', {
              secret: id,
              error: e instanceof Error ? e.message : String(e),
            }),
          );
          watches.set(id, w);
          const created = w;
          created.ready.catch(() => {
            created.dispose();
            if (watches.get(id) === created) watches.delete(id);
          });
        }
        await w.ready;
        return w;
      };
      const provider: SecretsProvider = {
        name: o.name ?? 'kubernetes',
        async get(secretName) {
          const ref = resolveRef(secretName, o.secrets, namespace);
          if (ref === undefined) return undefined;
          if (!allowed.includes(ref.namespace))
            throw new KubernetesSecretsError('FL_K8S_SECRETS_NAMESPACE_NOT_ALLOWED', {
              namespace: ref.namespace,
              allowed,
            });
          return (await watchOf(ref.namespace, ref.name)).get(ref.key);
        },
        dispose() {
          for (const w of watches.values()) w.dispose();
          watches.clear();
        },
      };
      api.secrets.addProvider(provider);
      return () => provider.dispose?.();
    },
  });
}

function resolveRef(
  name: string,
  map: Readonly<Record<string, SecretRef>> | undefined,
  namespace: string,
): { namespace: string; name: string; key: string } | undefined {
  const mapped = map !== undefined && Object.hasOwn(map, name) ? map[name] : undefined;
  if (mapped !== undefined) return { namespace: mapped.namespace ?? namespace, name: mapped.name, key: mapped.key };
  const parts = name.split('/');
  if (parts.length === 2 && DNS.test(parts[0]!) && parts[1] !== '')
    return { namespace, name: parts[0]!, key: parts[1]! };
  if (parts.length === 3 && DNS.test(parts[0]!) && DNS.test(parts[1]!) && parts[2] !== '')
    return { namespace: parts[0]!, name: parts[1]!, key: parts[2]! };
  return undefined;
}

function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.from === 'default') kc.loadFromDefault();
    else if (source.from === 'in-cluster') kc.loadFromCluster();
    else {
      if (source.from === 'file') kc.loadFromFile(source.path);
      else kc.loadFromString(source.yaml);
      if (source.context !== undefined) kc.setCurrentContext(source.context);
    }
  } catch (e) {
    // A YAML error quotes the document (tokens, keys): keep only its kind.
    const yaml = (e as { name?: unknown } | null)?.name === 'YAMLException';
    throw new KubernetesSecretsError('FL_K8S_SECRETS_CONFIG_INVALID', {
      reason: yaml ? 'invalid YAML' : e instanceof Error ? e.message : String(e),
    });
  }
  if (kc.getCurrentCluster() === null)
    throw new KubernetesSecretsError('FL_K8S_SECRETS_CONFIG_INVALID', {
      reason: 'the current context names no cluster',
    });
  return kc;
}

function checkOptions(o: KubernetesSecretsOptions): void {
  const bad = (option: string, reason: string): never => {
    throw new KubernetesSecretsError('FL_K8S_SECRETS_INVALID_OPTION', { option, reason });
  };
  if (typeof o !== 'object' || o === null || Array.isArray(o)) bad('options', 'pass an object');
  const [u] = unknownKeys(o, KNOWN);
  if (u !== undefined) bad(u.key, `unknown option; ${unknownKeyHint(u, KNOWN)}`);
  const k = o.kubeConfig;
  if (k !== undefined) {
    const from = (k as { from?: unknown } | null)?.from;
    if (typeof k !== 'object' || k === null || !['default', 'in-cluster', 'file', 'yaml'].includes(from as string))
      bad('kubeConfig', 'expected { from: "default" | "in-cluster" | "file" | "yaml", … }');
    // Each source's own keys: a misspelt `context` or a missing `path` used to pass and fail (or be ignored) later.
    const keys =
      from === 'file' ? ['from', 'path', 'context'] : from === 'yaml' ? ['from', 'yaml', 'context'] : ['from'];
    const [ku] = unknownKeys(k, keys);
    if (ku !== undefined)
      bad(`kubeConfig.${ku.key}`, `unknown option for from: "${String(from)}"; ${unknownKeyHint(ku, keys)}`);
    const c = k as { path?: unknown; yaml?: unknown; context?: unknown };
    if (from === 'file' && (typeof c.path !== 'string' || c.path === ''))
      bad('kubeConfig.path', 'expected the path of a kubeconfig file');
    if (from === 'yaml' && (typeof c.yaml !== 'string' || c.yaml === ''))
      bad('kubeConfig.yaml', 'expected the kubeconfig as a YAML string');
    if (c.context !== undefined && (typeof c.context !== 'string' || c.context === ''))
      bad('kubeConfig.context', 'expected a context name');
  }
  if (o.namespace !== undefined && !DNS.test(o.namespace)) bad('namespace', 'expected a namespace name');
  if (
    o.allowedNamespaces !== undefined &&
    !(Array.isArray(o.allowedNamespaces) && o.allowedNamespaces.every((n) => DNS.test(n)))
  )
    bad('allowedNamespaces', 'expected an array of namespace names');
  for (const [alias, ref] of Object.entries(o.secrets ?? {})) {
    if (typeof ref !== 'object' || ref === null || Array.isArray(ref))
      bad(`secrets.${alias}`, 'expected { name, key, namespace? }');
    const [ru] = unknownKeys(ref, REF_KEYS);
    if (ru !== undefined) bad(`secrets.${alias}.${ru.key}`, `unknown option; ${unknownKeyHint(ru, REF_KEYS)}`);
    if (typeof ref.name !== 'string' || !DNS.test(ref.name)) bad(`secrets.${alias}.name`, 'expected a Secret name');
    if (typeof ref.key !== 'string' || ref.key === '') bad(`secrets.${alias}.key`, 'expected a key of the Secret');
    if (ref.namespace !== undefined && !DNS.test(ref.namespace))
      bad(`secrets.${alias}.namespace`, 'expected a namespace name');
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) bad('name', 'expected a non-empty string');
}

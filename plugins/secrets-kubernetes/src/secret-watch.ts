/* Internal: one Secret read once, then kept fresh by a watch (re-read after 410 Expired or a dropped watch). */
import { type CoreV1Api, type KubeConfig, type V1Secret, Watch } from '@kubernetes/client-node';
import { KubernetesSecretsError } from './errors.js';

/** Seconds one watch request lasts; the client drops a watch idle for 30 s, so the server should end it first. */
const WATCH_SECONDS = 20;
/** Pause before re-reading after a failed watch, ms. */
const RETRY_MS = 1000;

const decode = (s: V1Secret | undefined): Map<string, string> =>
  new Map(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

/** The status code of a client-node `ApiException` (or undefined). */
const statusOf = (e: unknown): number | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
};

export class SecretWatch {
  readonly #kc: KubeConfig;
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly #name: string;
  readonly #onError: (e: unknown) => void;
  readonly #stop = new AbortController();
  #data: Map<string, string> | undefined; // undefined: the Secret does not exist
  #rv: string | undefined;
  #hangUp: AbortController | undefined;
  #retry: NodeJS.Timeout | undefined;
  /** Number of changes applied from watch events (for tests and logs). */
  changes = 0;
  readonly ready: Promise<void>;

  constructor(kc: KubeConfig, core: CoreV1Api, namespace: string, name: string, onError: (e: unknown) => void) {
    this.#kc = kc;
    this.#core = core;
    this.#namespace = namespace;
    this.#name = name;
    this.#onError = onError;
    this.ready = this.#read().then(() => this.#watch());
  }

  /** The current value of `key` (undefined when the Secret or the key does not exist). */
  get(key: string): string | undefined {
    return this.#data?.get(key);
  }

  async #read(): Promise<void> {
    try {
      const s = await this.#core.readNamespacedSecret({ name: this.#name, namespace: this.#namespace });
      this.#data = decode(s);
      this.#rv = s.metadata?.resourceVersion;
    } catch (e) {
      if (statusOf(e) !== 404)
        throw new KubernetesSecretsError('FL_K8S_SECRETS_READ_FAILED', {
          namespace: this.#namespace,
          name: this.#name,
          status: statusOf(e),
          reason:
            statusOf(e) === undefined
              ? e instanceof Error
                ? e.message
                : String(e)
              : 'the API server refused the request',
        });
      this.#data = undefined;
      this.#rv = undefined;
    }
  }

  #watch(): void {
    if (this.#stop.signal.aborted) return;
    const path = `/api/v1/namespaces/${encodeURIComponent(this.#namespace)}/secrets`;
    const opened = Date.now();
    let events = 0;
    let expired = false;
    new Watch(this.#kc)
      .watch(
        path,
        {
          fieldSelector: `metadata.name=${this.#name}`,
          timeoutSeconds: WATCH_SECONDS,
          ...(this.#rv === undefined ? {} : { resourceVersion: this.#rv }),
        },
        (type: string, object: V1Secret) => {
          events++;
          if (type === 'ERROR') {
            expired = true;
            return;
          }
          if (object?.metadata?.name !== this.#name) return;
          this.#rv = object.metadata?.resourceVersion ?? this.#rv;
          if (type === 'ADDED' || type === 'MODIFIED') this.#data = decode(object);
          else if (type === 'DELETED') this.#data = undefined;
          else return;
          this.changes++;
        },
        (error: unknown) => {
          this.#hangUp = undefined;
          if (this.#stop.signal.aborted) return;
          const ended = error === null || error === undefined || (error as { name?: unknown }).name === 'TimeoutError';
          if (expired) {
            // 410 Expired: the Secret's version is older than the server keeps. A watch without a version starts
            // with the Secret as it is now (an ADDED event), so nothing is missed; no list permission is needed.
            this.#rv = undefined;
            return this.#later(() => this.#watch(), 0);
          }
          if (ended) {
            // Renew; a watch that ended at once without an event (a proxy?) is renewed after a pause, not in a loop.
            return this.#later(() => this.#watch(), events === 0 && Date.now() - opened < RETRY_MS ? RETRY_MS : 0);
          }
          this.#onError(error);
          this.#later(() => this.#rereadAndWatch(), RETRY_MS);
        },
      )
      .then(
        (controller) => {
          if (this.#stop.signal.aborted) controller.abort();
          else this.#hangUp = controller;
        },
        (e: unknown) => {
          if (this.#stop.signal.aborted) return;
          this.#onError(e);
          this.#later(() => this.#rereadAndWatch(), RETRY_MS);
        },
      );
  }

  #rereadAndWatch(): void {
    this.#read().then(
      () => this.#watch(),
      (e: unknown) => {
        if (this.#stop.signal.aborted) return;
        this.#onError(e);
        this.#later(() => this.#rereadAndWatch(), RETRY_MS);
      },
    );
  }

  /** Run `fn` after `ms` unless disposed (the timer does not keep the process alive). */
  #later(fn: () => void, ms: number): void {
    if (this.#stop.signal.aborted) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#stop.signal.aborted) fn();
    }, ms);
    this.#retry.unref();
  }

  dispose(): void {
    this.#stop.abort();
    this.#hangUp?.abort();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
  }
}

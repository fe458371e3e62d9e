/* Internal: wait for something to happen to a Job's pods — list once, then watch from the list's resourceVersion. */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CoreV1Api, type KubeConfig, type V1Pod, Watch } from '@kubernetes/client-node';
import { toKubernetesError } from './api-errors.js';

/**
 * How long one watch request lasts (`timeoutSeconds`), s. The client drops a watch that sends nothing for 30 s, and a
 * pod may not change for longer than that: the server ends each watch before, and the wait lists and watches again.
 */
const WATCH_SECONDS = 20;

/**
 * A watch that ends at once without a single event is not how an API server behaves (a proxy in between may do it):
 * wait this long before listing again, ms, rather than spinning.
 */
const QUICK_END_PAUSE_MS = 1000;

/** Where and what to wait for. */
export interface PodWaitOptions<T> {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  /** The API server's address, for errors. */
  readonly server: string;
  readonly namespace: string;
  readonly labelSelector: string;
  /** Stops the wait (rejects with the signal's reason) and hangs up the watch. */
  readonly signal: AbortSignal;
  /**
   * Looks at the selected pods as they are now (by name) after the list and after each watch event: a result ends
   * the wait, `undefined` keeps waiting, a throw (or rejection) fails it. Never called twice at once.
   */
  readonly decide: (pods: ReadonlyMap<string, V1Pod>) => T | undefined | Promise<T | undefined>;
}

/**
 * Resolves with the first result of `decide`. Lists the pods, then watches them from the list's `resourceVersion`;
 * when the server ends the watch (its timeout, or 410 Expired for a version it no longer keeps) it lists and watches
 * again, so no change is missed and nothing is polled. API failures are typed (`toKubernetesError`).
 */
export async function waitForPods<T>(o: PodWaitOptions<T>): Promise<T> {
  const watch = new Watch(o.kc);
  const path = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods`;
  for (;;) {
    o.signal.throwIfAborted();
    const list = await o.core
      .listNamespacedPod({ namespace: o.namespace, labelSelector: o.labelSelector })
      .catch((e: unknown) => Promise.reject(toKubernetesError('list pods', e, o.server)));
    const pods = new Map(list.items.map((p) => [p.metadata?.name ?? '', p]));
    const now = await o.decide(pods);
    if (now !== undefined) return now;
    o.signal.throwIfAborted();
    const opened = Date.now();
    let events = 0;
    const ended = await new Promise<{ readonly value: T } | undefined>((resolve, reject) => {
      let settled = false;
      let hangUp: AbortController | undefined;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        o.signal.removeEventListener('abort', onAbort);
        hangUp?.abort();
        finish();
      };
      const onAbort = (): void => settle(() => reject(o.signal.reason));
      o.signal.addEventListener('abort', onAbort, { once: true });
      const fail = (e: unknown): void => settle(() => reject(toKubernetesError('watch pods', e, o.server)));
      // Events arrive in order; decide() may be async (it may read the Job): look at them one after another.
      let looking = Promise.resolve();
      const look = (): void => {
        looking = looking
          .then(async () => {
            if (settled) return;
            const value = await o.decide(pods);
            if (value !== undefined) settle(() => resolve({ value }));
          })
          .catch((e: unknown) => settle(() => reject(e)));
      };
      watch
        .watch(
          path,
          {
            labelSelector: o.labelSelector,
            resourceVersion: list.metadata?.resourceVersion,
            timeoutSeconds: WATCH_SECONDS,
          },
          (type: string, object: V1Pod) => {
            if (settled) return;
            events++;
            const name = object?.metadata?.name ?? '';
            if (type === 'ADDED' || type === 'MODIFIED') pods.set(name, object);
            else if (type === 'DELETED') pods.delete(name);
            else if (type === 'ERROR')
              return settle(() => resolve(undefined)); // 410 Expired: list again
            else return;
            look();
          },
          (error: unknown) => {
            // Ended by the server (timeoutSeconds) or dropped as idle by the client: list and watch again, once the
            // events already received have been looked at.
            if (error === null || error === undefined || (error as { name?: unknown }).name === 'TimeoutError')
              void looking.then(() => settle(() => resolve(undefined)));
            else fail(error);
          },
        )
        .then((controller) => {
          hangUp = controller;
          if (settled) controller.abort();
        }, fail);
    });
    if (ended !== undefined) return ended.value;
    if (events === 0 && Date.now() - opened < QUICK_END_PAUSE_MS)
      await sleep(QUICK_END_PAUSE_MS, undefined, { signal: o.signal });
  }
}

/* Internal: the fake API server's core/v1 Secrets — REST (get, list, create, replace, delete) and watches. */
import { randomUUID } from 'node:crypto';
import { notFound, statusBody } from './api-status.js';
import type { WatchEvent } from './pod-store.js';
import type { FakeSecret } from './types.js';

interface SecretRecord {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly created: string;
  type: string;
  labels: Record<string, string>;
  /** base64 values, as the API stores them. */
  data: Record<string, string>;
  resourceVersion: string;
}

/** What a request gets: status and JSON body. */
export interface SecretAnswer {
  readonly code: number;
  readonly body: Record<string, unknown>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Secrets keyed by namespace and name, with their own resourceVersion sequence and a bounded change history for
 * watches that resume from a version (older ones get a 410 `Expired` ERROR event, as from a real server).
 */
export class SecretStore {
  readonly #secrets = new Map<string, SecretRecord>();
  #version = 0;
  readonly #history: {
    readonly version: number;
    readonly ns: string;
    readonly name: string;
    readonly event: WatchEvent;
  }[] = [];
  readonly #watchers = new Set<{ ns: string; name: string | undefined; send: (e: WatchEvent) => void }>();

  constructor(readonly historySize = 1000) {}

  static key = (ns: string, name: string) => `${ns}/${name}`;

  get version(): string {
    return String(this.#version);
  }

  json(s: SecretRecord): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: s.name,
        namespace: s.namespace,
        uid: s.uid,
        resourceVersion: s.resourceVersion,
        creationTimestamp: s.created,
        ...(Object.keys(s.labels).length === 0 ? {} : { labels: { ...s.labels } }),
      },
      type: s.type,
      data: { ...s.data },
    };
  }

  /** Plain-text view for the test handle. */
  snapshot(s: SecretRecord): {
    namespace: string;
    name: string;
    data: Record<string, string>;
    resourceVersion: string;
  } {
    return {
      namespace: s.namespace,
      name: s.name,
      data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      resourceVersion: s.resourceVersion,
    };
  }

  all(): SecretRecord[] {
    return [...this.#secrets.values()];
  }

  /** Create or replace from the test handle (plain-text values). */
  put(secret: FakeSecret): void {
    const ns = secret.namespace ?? 'default';
    const data = Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, b64(v)]));
    const existing = this.#secrets.get(SecretStore.key(ns, secret.name));
    if (existing === undefined) this.#add(ns, secret.name, data, secret.labels ?? {}, 'Opaque');
    else {
      existing.data = data;
      if (secret.labels !== undefined) existing.labels = { ...secret.labels };
      this.#changed(existing, 'MODIFIED');
    }
  }

  remove(ns: string, name: string): boolean {
    const s = this.#secrets.get(SecretStore.key(ns, name));
    if (s === undefined) return false;
    this.#secrets.delete(SecretStore.key(ns, name));
    this.#changed(s, 'DELETED');
    return true;
  }

  /** `GET …/secrets/{name}`. */
  get(ns: string, name: string): SecretAnswer {
    const s = this.#secrets.get(SecretStore.key(ns, name));
    return s === undefined ? { code: 404, body: notFound('secrets', name) } : { code: 200, body: this.json(s) };
  }

  /** `GET …/secrets`. */
  list(ns: string): SecretAnswer {
    const items = this.all()
      .filter((s) => s.namespace === ns)
      .map((s) => this.json(s));
    return {
      code: 200,
      body: { apiVersion: 'v1', kind: 'SecretList', metadata: { resourceVersion: this.version }, items },
    };
  }

  /** `POST …/secrets` (409 when it exists) and `PUT …/secrets/{name}` (404 when it does not). */
  write(ns: string, name: string | undefined, body: unknown): SecretAnswer {
    const b = body as {
      metadata?: { name?: unknown; labels?: Record<string, string> };
      data?: unknown;
      stringData?: unknown;
      type?: unknown;
    };
    const target = name ?? b?.metadata?.name;
    if (typeof target !== 'string' || target === '')
      return { code: 422, body: statusBody(422, 'Secret "" is invalid: metadata.name: Required value') };
    if (name !== undefined && b?.metadata?.name !== undefined && b.metadata.name !== name)
      return {
        code: 400,
        body: statusBody(
          400,
          `the name of the object (${String(b.metadata.name)}) does not match the name on the URL (${name})`,
        ),
      };
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries((b?.data as Record<string, unknown>) ?? {})) {
      if (typeof v !== 'string' || Buffer.from(v, 'base64').toString('base64') !== v)
        return { code: 422, body: statusBody(422, `Secret "${target}" is invalid: data[${k}]: illegal base64 data`) };
      data[k] = v;
    }
    for (const [k, v] of Object.entries((b?.stringData as Record<string, unknown>) ?? {})) data[k] = b64(String(v));
    const existing = this.#secrets.get(SecretStore.key(ns, target));
    if (name === undefined) {
      if (existing !== undefined)
        return {
          code: 409,
          body: statusBody(409, `secrets "${target}" already exists`, { name: target, kind: 'secrets' }),
        };
      const s = this.#add(ns, target, data, b?.metadata?.labels ?? {}, typeof b?.type === 'string' ? b.type : 'Opaque');
      return { code: 201, body: this.json(s) };
    }
    if (existing === undefined) return { code: 404, body: notFound('secrets', target) };
    existing.data = data;
    existing.labels = { ...(b?.metadata?.labels ?? {}) };
    this.#changed(existing, 'MODIFIED');
    return { code: 200, body: this.json(existing) };
  }

  /** `DELETE …/secrets/{name}`. */
  delete(ns: string, name: string): SecretAnswer {
    const s = this.#secrets.get(SecretStore.key(ns, name));
    if (s === undefined) return { code: 404, body: notFound('secrets', name) };
    this.remove(ns, name);
    return { code: 200, body: statusBody(200, '', { name, kind: 'secrets' }) };
  }

  /**
   * A watch of the namespace's secrets (optionally one by name): with no `resourceVersion` (or "0") an `ADDED` event
   * per secret, else the changes after that version; then every change. Returns the function that ends it.
   */
  watch(
    ns: string,
    name: string | undefined,
    resourceVersion: string | undefined,
    send: (e: WatchEvent) => void,
  ): () => void {
    const wanted = (n: string, s: string) => n === ns && (name === undefined || s === name);
    if (resourceVersion === undefined || resourceVersion === '' || resourceVersion === '0') {
      for (const s of this.#secrets.values())
        if (wanted(s.namespace, s.name)) send({ type: 'ADDED', object: this.json(s) });
    } else {
      const from = Number(resourceVersion);
      const oldest = this.#history[0]?.version ?? this.#version + 1;
      if (!Number.isInteger(from) || from < oldest - 1) {
        send({ type: 'ERROR', object: statusBody(410, `too old resource version: ${resourceVersion}`) });
        return () => undefined;
      }
      for (const h of this.#history) if (h.version > from && wanted(h.ns, h.name)) send(h.event);
    }
    const watcher = { ns, name, send };
    this.#watchers.add(watcher);
    return () => void this.#watchers.delete(watcher);
  }

  #add(
    ns: string,
    name: string,
    data: Record<string, string>,
    labels: Record<string, string>,
    type: string,
  ): SecretRecord {
    const s: SecretRecord = {
      namespace: ns,
      name,
      uid: randomUUID(),
      created: new Date().toISOString(),
      type,
      labels: { ...labels },
      data,
      resourceVersion: '',
    };
    this.#secrets.set(SecretStore.key(ns, name), s);
    this.#changed(s, 'ADDED');
    return s;
  }

  #changed(s: SecretRecord, type: 'ADDED' | 'MODIFIED' | 'DELETED'): void {
    const version = ++this.#version;
    s.resourceVersion = String(version);
    const event: WatchEvent = { type, object: this.json(s) };
    this.#history.push({ version, ns: s.namespace, name: s.name, event });
    if (this.#history.length > this.historySize) this.#history.shift();
    for (const w of this.#watchers)
      if (w.ns === s.namespace && (w.name === undefined || w.name === s.name)) w.send(event);
  }
}

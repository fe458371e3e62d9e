import type { FlowEvent } from '@flowlane/core';
import WebSocket from 'ws';
import type { ServerMessage } from './protocol.js';

/** A real `ws` client that keeps every message and can wait for one. */
export interface TestClient {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[];
  events(): FlowEvent[];
  send(m: unknown): void;
  waitFor<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
}

export async function connectClient(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, options);
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (d) => {
    messages.push(JSON.parse(d.toString()) as ServerMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const client: TestClient = {
    ws,
    messages,
    closed,
    events: () => messages.flatMap((m) => (m.type === 'event' ? [m.event] : m.type === 'history' ? [...m.events] : [])),
    send: (m) => ws.send(JSON.stringify(m)),
    waitFor: ((pred: (m: ServerMessage) => boolean, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        let from = 0;
        const check = (): void => {
          for (; from < messages.length; from++) {
            const m = messages[from]!;
            if (pred(m)) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(m);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`no matching message within ${timeoutMs} ms; got ${messages.map((m) => m.type).join(', ')}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      })) as TestClient['waitFor'],
  };
  return client;
}

/** Status code of an upgrade the server refused (the socket never opened). */
export function refusedStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}

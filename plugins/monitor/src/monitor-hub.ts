/* Internal: the WebSocket side of the monitor — clients, subscriptions, batching, slow consumers, heartbeats. */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FlowEvent, Logger } from '@flowlane/core';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Authorizer } from './authorize.js';
import {
  CloseCodes,
  MAX_SUBSCRIPTIONS,
  type MonitorAlert,
  PROTOCOL_VERSION,
  type ProtocolErrorCode,
  parseClientMessage,
  type ServerMessage,
  type SubscriptionTarget,
} from './protocol.js';
import { type GraphRef, graphText, withDescription } from './run-graph-text.js';
import type { HistorySource, RunRecorder } from './run-history.js';

export interface HubOptions {
  readonly authorize: Authorizer;
  readonly recorder: RunRecorder;
  readonly history: HistorySource | undefined;
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  readonly closeGraceMs: number;
  readonly logger: Logger;
  /** Called with true when the first client connects and with false when the last one is gone. */
  readonly listen: (on: boolean) => void;
}

interface Client {
  readonly ws: WebSocket;
  readonly runs: Set<string>;
  readonly workflows: Set<string>;
  all: boolean;
  alive: boolean;
  dropped: boolean;
}

/** Counters exposed as `monitor.stats()`. */
export interface MonitorStats {
  /** Connected clients. */
  readonly clients: number;
  /** Clients disconnected for reading too slowly (close code 4008) since start. */
  readonly droppedSlowClients: number;
  /** Upgrade requests refused (401/403) since start. */
  readonly refused: number;
  /** Events of the runs seen since start (this engine's and those followed from the store). */
  readonly events: number;
}

const STREAM_PATH = '/ws';
/** Queued events that force a flush within the current tick. */
const MAX_QUEUED = 8192;

/**
 * Owns the `ws` server (in `noServer` mode: the HTTP server's `upgrade` is routed here after authorisation). While a
 * client is connected, engine events are queued by `push` (O(1), no I/O) and fanned out on the next `setImmediate`,
 * so sockets never run on the engine's hot path; with none, the monitor does not listen (`HubOptions.listen`).
 */
export class MonitorHub {
  readonly #o: HubOptions;
  /**
   * The `ws` server, made at the first authorised upgrade: `ws` (and node's `https`, `tls`, `zlib` it loads) is
   * imported only then, so a monitor no client connects to never loads it (≈ 1.5 MB of heap that every major GC of
   * the engine's process would mark).
   */
  #wss: WebSocketServer | undefined;
  #loading: Promise<WebSocketServer> | undefined;
  readonly #clients = new Set<Client>();
  /**
   * Queued events: a preallocated ring filled from slot 0 and emptied by each flush, so queueing an event on the
   * engine's path is one store (no allocation, no array growth, no lookup).
   */
  readonly #queue: (FlowEvent | undefined)[] = new Array<FlowEvent | undefined>(MAX_QUEUED).fill(undefined);
  /**
   * Graphs of queued `workflow.started` events, same slot: core's handle, taken at event time (while the run is
   * active) and described only if a client receives the event.
   */
  readonly #graphs: (GraphRef | undefined)[] = new Array<GraphRef | undefined>(MAX_QUEUED).fill(undefined);
  #queued = 0;
  #scheduled: NodeJS.Immediate | undefined;
  readonly #onImmediate = (): void => {
    this.#scheduled = undefined;
    this.#flush();
  };
  #heartbeat: NodeJS.Timeout | undefined;
  #alerts: readonly MonitorAlert[] = [];
  #reportDirty = false;
  #dropped = 0;
  #refused = 0;
  #listening = false;
  #closed = false;
  readonly #graceTimers = new Set<NodeJS.Timeout>();
  /** Upgrade sockets still being authorised (a slow or hanging `authenticate` hook): destroyed by `close()`. */
  readonly #pending = new Set<Duplex>();

  constructor(options: HubOptions) {
    this.#o = options;
    if (options.heartbeatMs > 0) {
      this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  stats(): MonitorStats {
    return {
      clients: this.#clients.size,
      droppedSlowClients: this.#dropped,
      refused: this.#refused,
      events: this.#o.recorder.seen(),
    };
  }

  /** Handles an HTTP `upgrade`; returns false when the path is not the monitor's (left to other handlers). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? '/', 'http://x').pathname !== STREAM_PATH) return false;
    socket.on('error', () => undefined);
    if (this.#closed) {
      socket.destroy();
      return true;
    }
    this.#pending.add(socket);
    void this.#upgrade(req, socket, head).finally(() => this.#pending.delete(socket));
    return true;
  }

  /** Authorises an upgrade, then hands it to `ws` (loaded at the first one let in); a failure destroys the socket. */
  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const verdict = await this.#o.authorize(req);
      if (this.#closed) return void socket.destroy();
      if (!verdict.ok) {
        this.#refused++;
        const text = verdict.status === 401 ? 'Unauthorized' : 'Forbidden';
        socket.end(
          `HTTP/1.1 ${verdict.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n${verdict.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}\r\n${text}`,
        );
        return;
      }
      const wss = await this.#server();
      if (this.#closed) return void socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws));
    } catch {
      socket.destroy();
    }
  }

  /** The `ws` server, loaded and made on first use. */
  #server(): Promise<WebSocketServer> {
    this.#loading ??= import('ws').then(({ WebSocketServer }) => {
      this.#wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
      return this.#wss;
    });
    return this.#loading;
  }

  /**
   * Queues an event for the clients (called synchronously for every event while a client is connected). Runs are
   * kept by the recorder, not by the hub: with no client and nothing queued, an event is dropped here.
   */
  push(e: FlowEvent, d: GraphRef | undefined): void {
    const k = this.#queued;
    if (k === 0 && this.#clients.size === 0) return;
    this.#queue[k] = e;
    if (d !== undefined) this.#graphs[k] = d;
    this.#queued = k + 1;
    // A long synchronous burst (runs of plain nodes never yield) is flushed in slices so the queue stays bounded.
    if (k + 1 >= MAX_QUEUED) this.#flushNow();
    else if (this.#scheduled === undefined) this.#scheduled = setImmediate(this.#onImmediate);
  }

  setAlerts(alerts: readonly MonitorAlert[]): void {
    this.#alerts = alerts;
    const text = JSON.stringify({ type: 'alerts', alerts } satisfies ServerMessage);
    for (const c of this.#clients) if (c.all) this.#send(c, text);
    this.#reportDirty = true;
    this.#scheduled ??= setImmediate(this.#onImmediate);
  }

  /** Sends every queued event, then a fresh report to `all` subscribers. */
  #flush(): void {
    const n = this.#queued;
    this.#queued = 0;
    const queue = this.#queue;
    const graphs = this.#graphs;
    const rec = this.#o.recorder;
    const clients = this.#clients;
    for (let k = 0; k < n; k++) {
      const e = queue[k]!;
      queue[k] = undefined;
      const d = graphs[k];
      if (d !== undefined) graphs[k] = undefined;
      if (clients.size === 0) continue;
      let text: string | undefined;
      for (const c of this.#clients) {
        if (c.dropped || !(c.all || c.runs.has(e.executionId) || c.workflows.has(e.workflow))) continue;
        // The graph goes in as core's JSON text (no description objects are made or kept).
        text ??= withDescription(
          { type: 'event', event: e } satisfies ServerMessage,
          e.type === 'workflow.started' && d !== undefined ? graphText(d) : undefined,
        );
        this.#send(c, text);
      }
    }
    if (n > 0 || this.#reportDirty) {
      this.#reportDirty = false;
      let text: string | undefined;
      for (const c of this.#clients)
        if (c.all && !c.dropped)
          this.#send(
            c,
            (text ??= JSON.stringify({ type: 'report', report: rec.report(this.#alerts) } satisfies ServerMessage)),
          );
    }
  }

  /** Sends unless the client is too far behind, in which case it is dropped with close code 4008. */
  #send(c: Client, text: string): void {
    if (c.dropped || c.ws.readyState !== c.ws.OPEN) return;
    if (c.ws.bufferedAmount > this.#o.maxBufferedBytes) this.#drop(c);
    else c.ws.send(text);
  }

  /** Starts or stops listening to the engine's events as the first client comes or the last one goes. */
  #clientsChanged(): void {
    const any = this.#clients.size > 0 && !this.#closed;
    if (any === this.#listening) return;
    this.#listening = any;
    this.#o.listen(any);
  }

  #drop(c: Client): void {
    c.dropped = true;
    this.#dropped++;
    this.#clients.delete(c);
    this.#clientsChanged();
    this.#o.logger.warn('monitor: dropped a slow client', {
      bufferedBytes: c.ws.bufferedAmount,
      maxBufferedBytes: this.#o.maxBufferedBytes,
    });
    c.ws.close(CloseCodes.SLOW_CONSUMER, 'slow consumer: send buffer full');
    // The close frame waits behind the unread data; a client that never reads is cut off after the grace period.
    const t = setTimeout(() => {
      this.#graceTimers.delete(t);
      c.ws.terminate();
    }, this.#o.closeGraceMs);
    this.#graceTimers.add(t);
    c.ws.once('close', () => {
      clearTimeout(t);
      this.#graceTimers.delete(t);
    });
  }

  #connected(ws: WebSocket): void {
    const c: Client = { ws, runs: new Set(), workflows: new Set(), all: false, alive: true, dropped: false };
    this.#clients.add(c);
    this.#clientsChanged();
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.#clients.delete(c);
      this.#clientsChanged();
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.#send(c, errorText('invalid-message', 'Send JSON text frames.'));
      void this.#onMessage(c, data.toString());
    });
    this.#send(
      c,
      JSON.stringify({
        type: 'hello',
        protocol: 'flowlane-monitor',
        version: PROTOCOL_VERSION,
        heartbeatMs: this.#o.heartbeatMs,
      } satisfies ServerMessage),
    );
  }

  async #onMessage(c: Client, text: string): Promise<void> {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return this.#send(c, errorText(parsed.code, parsed.message));
    const m = parsed.message;
    const target = m as SubscriptionTarget;
    if (m.type === 'unsubscribe') {
      if ('executionId' in target) c.runs.delete(target.executionId);
      else if ('workflow' in target) c.workflows.delete(target.workflow);
      else c.all = false;
      return;
    }
    const rec = this.#o.recorder;
    const named =
      'executionId' in target
        ? c.runs.has(target.executionId)
        : 'workflow' in target
          ? c.workflows.has(target.workflow)
          : true;
    if (!named && c.runs.size + c.workflows.size >= MAX_SUBSCRIPTIONS)
      return this.#send(
        c,
        errorText(
          'too-many-subscriptions',
          `This connection already has ${MAX_SUBSCRIPTIONS} subscriptions by run or workflow: unsubscribe from some, or subscribe to all.`,
        ),
      );
    if ('executionId' in target) {
      const id = target.executionId;
      // The history is the run's log as it is now, which already holds the queued events: send them to the other
      // clients first, then subscribe this one after its history — no gap and no duplicate.
      this.#flushNow();
      const own = rec.history(id);
      c.runs.add(id);
      if (own !== undefined) {
        const { graph, events, truncated } = own;
        return this.#send(
          c,
          withDescription(
            { type: 'history', executionId: id, run: own.run },
            graph === undefined ? undefined : graphText(graph),
            { events, truncated } satisfies Omit<Extract<ServerMessage, { type: 'history' }>, 'type' | 'executionId'>,
          ),
        );
      }
      let external: Awaited<ReturnType<HistorySource['read']>>;
      try {
        external = await this.#o.history?.read(id);
      } catch (e) {
        return this.#send(
          c,
          errorText(
            'history-unavailable',
            `The history of "${id}" could not be read: ${e instanceof Error ? e.message : String(e)}`,
          ),
        );
      }
      this.#send(
        c,
        JSON.stringify({
          type: 'history',
          executionId: id,
          events: external?.events ?? [],
          description: external?.description,
          truncated: false,
        } satisfies ServerMessage),
      );
      return;
    }
    this.#flushNow();
    if ('workflow' in target) {
      c.workflows.add(target.workflow);
      this.#send(c, JSON.stringify({ type: 'runs', runs: rec.runs(target.workflow) } satisfies ServerMessage));
    } else {
      c.all = true;
      this.#send(c, JSON.stringify({ type: 'runs', runs: rec.runs() } satisfies ServerMessage));
      this.#send(c, JSON.stringify({ type: 'report', report: rec.report(this.#alerts) } satisfies ServerMessage));
      this.#send(c, JSON.stringify({ type: 'alerts', alerts: this.#alerts } satisfies ServerMessage));
    }
  }

  #flushNow(): void {
    const scheduled = this.#scheduled;
    if (scheduled !== undefined) {
      clearImmediate(scheduled);
      this.#scheduled = undefined;
    }
    if (this.#queued > 0 || scheduled !== undefined) this.#flush();
  }

  #beat(): void {
    for (const c of this.#clients) {
      if (!c.alive) {
        this.#clients.delete(c);
        this.#clientsChanged();
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#flushNow();
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    for (const t of this.#graceTimers) clearTimeout(t);
    this.#graceTimers.clear();
    // An upgrade still waiting for the `authenticate` hook would keep the server open for as long as the hook takes.
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
    for (const c of this.#clients) c.ws.close(CloseCodes.GOING_AWAY, 'monitor closing');
    // Give clients a moment to answer the close frame, then cut whoever did not.
    // A `ws` server still loading makes no client: it is closed once made (nothing connects to it after `#closed`).
    const wss = this.#wss ?? (await this.#loading?.catch(() => undefined));
    await new Promise<void>((resolve) => {
      const left = wss === undefined ? [] : [...wss.clients];
      if (left.length === 0) return resolve();
      const t = setTimeout(() => {
        for (const ws of left) ws.terminate();
        resolve();
      }, 1000);
      let open = left.length;
      for (const ws of left)
        ws.once('close', () => {
          if (--open === 0) {
            clearTimeout(t);
            resolve();
          }
        });
    });
    this.#clients.clear();
    this.#clientsChanged();
    if (wss !== undefined) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
}

function errorText(code: ProtocolErrorCode, message: string): string {
  return JSON.stringify({ type: 'error', code, message } satisfies ServerMessage);
}

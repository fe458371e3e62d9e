/* Internal: follow one container's log (`GET …/pods/{pod}/log?follow=true`) as a stream of raw chunks. */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { PodRef } from './pod-resolver.js';

/** Which part of the log: everything interleaved, or one stream (`stream=` needs `PodLogsQuerySplitStreams`). */
export type LogStream = 'All' | 'Stdout' | 'Stderr';

/** A followed log: `done` settles when the server ends the stream (true) or the connection is cut (false). */
export interface LogFollow {
  readonly done: Promise<boolean>;
  /** Stops following (the abort); `done` then resolves with false. */
  close(): void;
}

/** A failed log request, shaped like client-node's `ApiException` (`code` + raw `body`) for the error mappers. */
class LogRequestError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}: ${body.slice(0, 500)}`);
  }
}

/**
 * Follows `ref`'s container log with the kubeconfig's credentials (client-node's `Log` pipes the body without an
 * error listener, so a closed connection would crash the process; this request is ours to abort). `done` rejects
 * when the request fails before the log starts (non-200 answer, network error).
 */
export function followPodLog(
  kc: KubeConfig,
  ref: PodRef,
  stream: LogStream,
  onChunk: (chunk: Buffer) => void,
): LogFollow {
  let req: ReturnType<typeof httpRequest> | undefined;
  let closed = false;
  const done = (async () => {
    const server = kc.getCurrentCluster()?.server ?? '';
    const url = new URL(
      `${server}/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/pods/${encodeURIComponent(ref.pod)}/log`,
    );
    url.searchParams.set('container', ref.container);
    url.searchParams.set('follow', 'true');
    if (stream !== 'All') url.searchParams.set('stream', stream);
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    if (closed) return false;
    return new Promise<boolean>((resolve, reject) => {
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      req = request(url, { ...options, method: 'GET', headers: { ...options.headers, Accept: 'text/plain' } });
      req.on('error', (error) => (closed ? resolve(false) : reject(error)));
      req.on('response', (res: IncomingMessage) => {
        res.on('error', () => undefined); // a cut connection ends as 'close' without 'end'
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('close', () => reject(new LogRequestError(res.statusCode ?? 0, body)));
          return;
        }
        let ended = false;
        res.on('data', (chunk: Buffer) => {
          if (!closed) onChunk(chunk);
        });
        res.on('end', () => {
          ended = true;
        });
        res.on('close', () => resolve(ended && !closed));
      });
      req.end();
    });
  })();
  return {
    done,
    close() {
      closed = true;
      req?.destroy();
    },
  };
}

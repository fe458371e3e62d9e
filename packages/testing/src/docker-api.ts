/* Internal: minimal Docker Engine API client over a unix socket (node:http, no dockerode at runtime). */
import { request } from 'node:http';

/** Status and raw body of a Docker API call. */
export interface DockerResponse {
  readonly status: number;
  readonly body: Buffer;
}

/** Sends one request to the Docker daemon listening on `socketPath`. */
export function dockerRequest(
  socketPath: string,
  method: string,
  path: string,
  options: { body?: Buffer | undefined; contentType?: string | undefined; timeoutMs?: number | undefined } = {},
): Promise<DockerResponse> {
  const { body, contentType = 'application/json', timeoutMs = 10_000 } = options;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: body ? { 'Content-Type': contentType, 'Content-Length': body.length } : {},
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`Docker API ${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

/** Like {@link dockerRequest} but throws unless the status is 2xx; returns the body as text. */
export async function dockerCall(
  socketPath: string,
  method: string,
  path: string,
  options: Parameters<typeof dockerRequest>[3] = {},
): Promise<string> {
  const { status, body } = await dockerRequest(socketPath, method, path, options);
  const text = body.toString('utf8');
  if (status < 200 || status >= 300) throw new Error(`Docker API ${method} ${path} → ${status}: ${text.trim()}`);
  return text;
}

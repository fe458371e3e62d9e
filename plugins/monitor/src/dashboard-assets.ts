/* Internal: the dashboard's static files, shipped as plain ES module JS + CSS (no build step). */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

const DIR = new URL('../dashboard/', import.meta.url);

const FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/graph.js': { file: 'graph.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/**
 * Serves the dashboard page and its assets (GET/HEAD only). Returns false for any other path so the caller can
 * answer it. The page holds no data: everything comes over the authenticated WebSocket.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const entry = FILES[path];
  if (entry === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  let body = cache.get(entry.file);
  if (body === undefined) cache.set(entry.file, (body = readFileSync(new URL(entry.file, DIR))));
  res.writeHead(200, { ...HEADERS, 'content-type': entry.type, 'content-length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

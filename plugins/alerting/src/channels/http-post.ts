/* Internal: JSON over HTTP for the webhook channels; errors never carry the URL (it may hold a secret). */

/** The origin of a URL (scheme, host, port): safe to log — paths, queries and credentials are dropped. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'flowlane-alerting', ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown } }).cause;
    const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
    const name = e instanceof Error && e.name === 'TimeoutError' ? 'timed out' : 'request failed';
    throw new Error(`${name}${code}`);
  }
  await res.body?.cancel().catch(() => undefined);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
}

export function checkUrl(
  where: string,
  option: string,
  url: unknown,
  fail: (w: string, o: string, r: string) => never,
): string {
  if (typeof url !== 'string') return fail(where, option, 'expected an http(s) URL');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail(where, option, 'expected an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    fail(where, option, `expected http: or https:, got ${u.protocol}`);
  return url;
}

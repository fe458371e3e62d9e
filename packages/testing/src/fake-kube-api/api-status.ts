/* Internal: the API server's `Status` bodies, label selectors and exec exit statuses, as Kubernetes writes them. */

const REASON: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
  410: 'Expired',
  422: 'Invalid',
};

/** HTTP reason phrases for raw upgrade refusals. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
};

/** A `Status` failure body (`kind: Status`), as every non-2xx answer of the API server carries. */
export function statusBody(code: number, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASON[code] ?? 'InternalError',
    ...(details === undefined ? {} : { details }),
    code,
  };
}

/** `404 NotFound` for an object of `kind` (`pods`, `jobs`). */
export const notFound = (kind: string, name: string, group?: string): Record<string, unknown> =>
  statusBody(404, `${kind}${group === undefined ? '' : `.${group}`} "${name}" not found`, {
    name,
    ...(group === undefined ? {} : { group }),
    kind,
  });

/** Equality (`a=b`, `a==b`), inequality (`a!=b`) and existence (`a`, `!a`) requirements, comma-separated. */
export function matchesSelector(labels: Readonly<Record<string, string>>, selector: string): boolean {
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((req) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(req);
      if (ne) return labels[ne[1]!.trim()] !== ne[2]!.trim();
      const eq = /^([^=]+)==?(.*)$/.exec(req);
      if (eq) return labels[eq[1]!.trim()] === eq[2]!.trim();
      return req.startsWith('!') ? !(req.slice(1) in labels) : req in labels;
    });
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/** A container's exit code as the runtime reports it: the code, or 128 + signal number. */
export const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? 128 + (signal === null ? 0 : (SIGNALS[signal] ?? 0));

/** Status frame for a finished exec, as the kubelet sends it on channel 3. */
export function execStatus(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): object {
  if (spawnError !== undefined)
    return { metadata: {}, status: 'Failure', message: spawnError.message, reason: 'InternalError' };
  if (code === 0) return { metadata: {}, status: 'Success' };
  const exit = exitCodeOf(code, signal);
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${exit}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit) }] },
  };
}

/** Kills a process group (the fake starts every command as a group leader); no error if it is gone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { headPath } from './log-files.js';
import { verifyAuditLog } from './verify-audit-log.js';

/**
 * What the audit commands need from the program that hosts them: `flowlane audit` in `@flowlane/cli` and the
 * package's own `flowlane-audit` bin implement it.
 */
export interface AuditCommandHost {
  /** Relative paths (`<path>`, `--key-file`) are resolved against it. */
  readonly cwd: string;
  /** Where `--key-env` reads. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  /** Reports a failure the user can fix (`message`, then `hint`) and exits with `exitCode`: throws. */
  fail(message: string, hint: string, exitCode: 1 | 2): never;
  /** The command finished: exit with `code`. */
  exit(code: number): void;
}

/**
 * Adds `verify` to `parent` — the one implementation behind `flowlane audit verify` and `flowlane-audit verify`:
 * checks the hash chain of an audit log and its rotated files; exit 0 when intact, 1 naming the first broken record.
 * Uses only `parent`'s own commander methods, so the host's copy of commander builds the command.
 *
 * @example
 * ```ts
 * import { Command } from 'commander';
 * import { registerAuditCommands } from '@flowlane/audit-file/commands';
 *
 * registerAuditCommands(new Command('audit'), {
 *   cwd: process.cwd(), env: process.env, stdout: process.stdout,
 *   fail: (message) => { throw new Error(message); }, exit: (code) => { process.exitCode = code; },
 * });
 * ```
 */
export function registerAuditCommands(parent: Command, host: AuditCommandHost): Command {
  parent
    .command('verify')
    .description('verify the chain of an audit log and its rotated files; exit 0 when intact, 1 when broken')
    .argument('<path>', 'the log file given to auditFile({ path })')
    .option('--key-env <name>', 'read the HMAC key from this environment variable')
    .option('--key-file <file>', 'read the HMAC key from this file (trailing newline ignored)')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, opts: { keyEnv?: string; keyFile?: string; json?: boolean }) => {
      let key: string | undefined;
      if (opts.keyEnv !== undefined) {
        key = host.env[opts.keyEnv];
        if (key === undefined)
          host.fail(`Environment variable ${opts.keyEnv} is not set.`, 'Export the HMAC key there.', 2);
      } else if (opts.keyFile !== undefined) {
        const file = resolve(host.cwd, opts.keyFile);
        if (!existsSync(file))
          host.fail(`No key file at ${file}.`, 'Give --key-file the file that holds the HMAC key.', 2);
        key = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      }
      const log = resolve(host.cwd, path);
      // Neither the log nor its head: nothing to verify (a wrong path, or a log deleted whole). Exit 1, as for a
      // broken log, so a check that tests for "not 0" also catches a deleted log.
      if (!existsSync(log) && !existsSync(headPath(log)))
        host.fail(
          `No audit log at ${log} (and no head file beside it).`,
          'Give the path passed to auditFile({ path }); a log deleted with its head file cannot be verified.',
          1,
        );
      const report = await verifyAuditLog(log, { key });
      const line = opts.json
        ? JSON.stringify(report)
        : report.ok
          ? `ok: ${report.records} records in ${report.files.length} file(s)`
          : `broken at seq ${report.brokenAt} (${report.file}:${report.line}): ${report.reason}`;
      host.stdout.write(`${line}\n`);
      host.exit(report.ok ? 0 : 1);
    });
  return parent;
}

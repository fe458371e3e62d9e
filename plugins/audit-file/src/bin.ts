#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { verifyAuditLog } from './verify-audit-log.js';
import { PKG_VERSION } from './version.js';

const program: Command = new Command('flowlane-audit')
  .description('Tools for Flowlane hash-chained audit logs (until `flowlane audit` exists in the CLI).')
  .version(PKG_VERSION);

program
  .command('verify')
  .description('verify the chain of an audit log and its rotated files; exit 0 when intact, 1 when broken')
  .argument('<path>', 'the log file given to auditFile({ path })')
  .option('--key-env <name>', 'read the HMAC key from this environment variable')
  .option('--key-file <file>', 'read the HMAC key from this file (trailing newline ignored)')
  .option('--json', 'print the report as JSON')
  .action(async (path: string, opts: { keyEnv?: string; keyFile?: string; json?: boolean }) => {
    let key: string | undefined;
    if (opts.keyEnv !== undefined) {
      key = process.env[opts.keyEnv];
      if (key === undefined) program.error(`environment variable ${opts.keyEnv} is not set`, { exitCode: 2 });
    } else if (opts.keyFile !== undefined) key = readFileSync(opts.keyFile, 'utf8').replace(/\r?\n$/, '');
    const report = await verifyAuditLog(path, { key });
    if (opts.json) console.log(JSON.stringify(report));
    else if (report.ok) console.log(`ok: ${report.records} records in ${report.files.length} file(s)`);
    else console.log(`broken at seq ${report.brokenAt} (${report.file}:${report.line}): ${report.reason}`);
    process.exitCode = report.ok ? 0 : 1;
  });

await program.parseAsync();

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { CliError, ExitCode } from '../cli-error.js';
import { importOptional } from '../optional-package.js';
import { type CliIo, println } from './io.js';

/** Where a secrets file's key comes from (the `KeySource` of `@flowlane/secrets-file`). */
interface KeySource {
  readonly keyFile?: string;
  readonly keyEnv?: string;
  readonly passphraseEnv?: string;
}
/** The part of `@flowlane/secrets-file` the CLI uses. */
interface SecretsFileModule {
  openSecretsFile(
    path: string,
    options: KeySource & { create?: boolean; env?: Readonly<Record<string, string | undefined>> },
  ): Promise<{
    get(name: string): Promise<string | undefined>;
    set(name: string, value: string): Promise<void>;
    list(): Promise<string[]>;
    delete(name: string): Promise<boolean>;
    rotate(next: KeySource): Promise<void>;
  }>;
}
/** The part of `@flowlane/audit-file` the CLI uses. */
interface AuditFileModule {
  verifyAuditLog(
    path: string,
    options: { key?: string | undefined },
  ): Promise<
    | { ok: true; records: number; files: readonly string[] }
    | { ok: false; brokenAt: number; file: string; line: number; reason: string }
  >;
}

type KeyFlags = {
  keyFile?: string | undefined;
  keyEnv?: string | undefined;
  passphraseEnv?: string | undefined;
};

const withKey = (cmd: Command, prefix = ''): Command =>
  cmd
    .addOption(new Option(`--${prefix}key-file <file>`, 'read the 32-byte key (hex or base64) from this file'))
    .addOption(
      new Option(
        `--${prefix}key-env <name>`,
        'read the key from this environment variable (default FLOWLANE_SECRETS_KEY)',
      ),
    )
    .addOption(
      new Option(`--${prefix}passphrase-env <name>`, 'read a passphrase (scrypt) from this environment variable'),
    );

const keySource = (f: KeyFlags, cwd: string): KeySource => ({
  ...(f.keyFile === undefined ? {} : { keyFile: resolve(cwd, f.keyFile) }),
  ...(f.keyEnv === undefined ? {} : { keyEnv: f.keyEnv }),
  ...(f.passphraseEnv === undefined ? {} : { passphraseEnv: f.passphraseEnv }),
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

const secretsModule = (io: CliIo) =>
  importOptional<SecretsFileModule>('@flowlane/secrets-file', io.cwd, 'flowlane secrets');

/**
 * `flowlane secrets set|get|list|delete|rotate <file>`: an encrypted secrets file (`@flowlane/secrets-file`, an
 * optional peer). Values come from stdin or `--from-env`, never from the command line (shell history, `ps`).
 */
export function registerSecretsCommands(program: Command, io: CliIo, exit: (code: number) => void): void {
  const secrets = program
    .command('secrets')
    .description('Manage an AES-256-GCM encrypted secrets file (needs @flowlane/secrets-file).');
  const open = async (file: string, f: KeyFlags, create = false) =>
    (await secretsModule(io)).openSecretsFile(resolve(io.cwd, file), { ...keySource(f, io.cwd), create, env: io.env });

  withKey(secrets.command('set'))
    .description('set a secret; the value is read from stdin (or --from-env); creates the file if missing')
    .argument('<file>')
    .argument('<name>')
    .option('--from-env <name>', 'take the value from this environment variable instead of stdin')
    .action(async (file: string, name: string, f: KeyFlags & { fromEnv?: string }) => {
      const value = f.fromEnv === undefined ? await readStdin() : io.env[f.fromEnv];
      if (value === undefined)
        throw new CliError(`Environment variable ${f.fromEnv} is not set.`, 'Export it, or pipe the value.', 2);
      await (await open(file, f, true)).set(name, value);
      exit(ExitCode.ok);
    });

  withKey(secrets.command('get'))
    .description('print a secret value')
    .argument('<file>')
    .argument('<name>')
    .action(async (file: string, name: string, f: KeyFlags) => {
      const v = await (await open(file, f)).get(name);
      if (v === undefined)
        throw new CliError(`No secret named "${name}" in ${file}.`, `List them: flowlane secrets list ${file}.`);
      io.stdout.write(`${v}\n`);
      exit(ExitCode.ok);
    });

  withKey(secrets.command('list'))
    .description('print the secret names, one per line')
    .argument('<file>')
    .action(async (file: string, f: KeyFlags) => {
      for (const n of await (await open(file, f)).list()) println(io.stdout, n);
      exit(ExitCode.ok);
    });

  withKey(secrets.command('delete'))
    .description('remove a secret')
    .argument('<file>')
    .argument('<name>')
    .action(async (file: string, name: string, f: KeyFlags) => {
      if (!(await (await open(file, f)).delete(name)))
        throw new CliError(`No secret named "${name}" in ${file}.`, `List them: flowlane secrets list ${file}.`);
      exit(ExitCode.ok);
    });

  withKey(withKey(secrets.command('rotate'), 'new-'))
    .description('re-encrypt the file under a new key or passphrase (atomic: readers see the old or the new file)')
    .argument('<file>')
    .action(
      async (file: string, f: KeyFlags & { newKeyFile?: string; newKeyEnv?: string; newPassphraseEnv?: string }) => {
        const next = keySource(
          { keyFile: f.newKeyFile, keyEnv: f.newKeyEnv, passphraseEnv: f.newPassphraseEnv },
          io.cwd,
        );
        const given = Object.entries(next).filter(([, v]) => v !== undefined);
        if (given.length !== 1)
          throw new CliError(
            'rotate needs exactly one new key source.',
            'Give one of --new-key-file, --new-key-env, --new-passphrase-env.',
            ExitCode.usage,
          );
        await (await open(file, f)).rotate(next);
        exit(ExitCode.ok);
      },
    );
}

/** `flowlane audit verify <path>`: checks a hash-chained audit log (`@flowlane/audit-file`, an optional peer). */
export function registerAuditCommands(program: Command, io: CliIo, exit: (code: number) => void): void {
  const audit = program.command('audit').description('Tools for hash-chained audit logs (needs @flowlane/audit-file).');
  audit
    .command('verify')
    .description('verify the chain of an audit log and its rotated files; exit 0 when intact, 1 when broken')
    .argument('<path>', 'the log file given to auditFile({ path })')
    .option('--key-env <name>', 'read the HMAC key from this environment variable')
    .option('--key-file <file>', 'read the HMAC key from this file (trailing newline ignored)')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, opts: { keyEnv?: string; keyFile?: string; json?: boolean }) => {
      let key: string | undefined;
      if (opts.keyEnv !== undefined) {
        key = io.env[opts.keyEnv];
        if (key === undefined)
          throw new CliError(`Environment variable ${opts.keyEnv} is not set.`, 'Export the HMAC key there.', 2);
      } else if (opts.keyFile !== undefined)
        key = readFileSync(resolve(io.cwd, opts.keyFile), 'utf8').replace(/\r?\n$/, '');
      const { verifyAuditLog } = await importOptional<AuditFileModule>(
        '@flowlane/audit-file',
        io.cwd,
        'flowlane audit verify',
      );
      const report = await verifyAuditLog(resolve(io.cwd, path), { key });
      if (opts.json) println(io.stdout, JSON.stringify(report));
      else if (report.ok) println(io.stdout, `ok: ${report.records} records in ${report.files.length} file(s)`);
      else println(io.stdout, `broken at seq ${report.brokenAt} (${report.file}:${report.line}): ${report.reason}`);
      exit(report.ok ? ExitCode.ok : ExitCode.failed);
    });
}

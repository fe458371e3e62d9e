import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { KeySource } from './key-source.js';
import { openSecretsFile } from './secrets-file.js';

/**
 * What the secrets commands need from the program that hosts them: `flowlane secrets` in `@flowlane/cli` and the
 * package's own `flowlane-secrets` bin implement it.
 */
export interface SecretsCommandHost {
  /** Relative file paths (`<file>`, `--key-file`) are resolved against it. */
  readonly cwd: string;
  /** Where `--key-env`, `--passphrase-env` and `--from-env` read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  /** The value of `set` when `--from-env` is not given. */
  readonly stdin: AsyncIterable<Buffer | string>;
  /** Reports a failure the user can fix (`message`, then `hint`) and exits with `exitCode`: throws. */
  fail(message: string, hint: string, exitCode: 1 | 2): never;
  /** The command finished: exit with `code`. */
  exit(code: number): void;
}

type KeyFlags = { keyFile?: string | undefined; keyEnv?: string | undefined; passphraseEnv?: string | undefined };

/** The three flags that say where a key comes from (`prefix` `new-` for rotate's new key). */
const withKey = (cmd: Command, prefix = ''): Command =>
  cmd
    .option(`--${prefix}key-file <file>`, 'read the 32-byte key (hex or base64) from this file')
    .option(`--${prefix}key-env <name>`, 'read the key from this environment variable (default FLOWLANE_SECRETS_KEY)')
    .option(`--${prefix}passphrase-env <name>`, 'read a passphrase (scrypt) from this environment variable');

const keySource = (f: KeyFlags, cwd: string): KeySource => ({
  ...(f.keyFile === undefined ? {} : { keyFile: resolve(cwd, f.keyFile) }),
  ...(f.keyEnv === undefined ? {} : { keyEnv: f.keyEnv }),
  ...(f.passphraseEnv === undefined ? {} : { passphraseEnv: f.passphraseEnv }),
});

async function readAll(stdin: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * Adds `keygen`, `set`, `get`, `list`, `delete` and `rotate` to `parent` — the one implementation behind
 * `flowlane secrets …` and `flowlane-secrets …`. Values come from stdin or `--from-env`, never from the command line
 * (it would end up in shell history and `ps`). Uses only `parent`'s own commander methods, so the host's copy of
 * commander builds every command.
 *
 * @example
 * ```ts
 * import { Command } from 'commander';
 * import { registerSecretsCommands } from '@flowlane/secrets-file/commands';
 *
 * const program = new Command('my-tool');
 * registerSecretsCommands(program.command('secrets'), {
 *   cwd: process.cwd(), env: process.env, stdout: process.stdout, stdin: process.stdin,
 *   fail: (message) => { throw new Error(message); }, exit: (code) => { process.exitCode = code; },
 * });
 * ```
 */
export function registerSecretsCommands(parent: Command, host: SecretsCommandHost): Command {
  const open = async (file: string, f: KeyFlags, create = false) =>
    openSecretsFile(resolve(host.cwd, file), { ...keySource(f, host.cwd), create, env: host.env });
  /** `flowlane secrets` or `flowlane-secrets`: how the user typed the commands, for hints. */
  const path = (): string => {
    const names: string[] = [];
    for (let c: Command | null = parent; c !== null; c = c.parent) names.unshift(c.name());
    return names.join(' ');
  };
  const noSecret = (name: string, file: string): never =>
    host.fail(`No secret named "${name}" in ${file}.`, `List them: ${path()} list ${file}.`, 1);

  parent
    .command('keygen')
    .description('print a new random 32-byte key (base64)')
    .action(() => {
      host.stdout.write(`${randomBytes(32).toString('base64')}\n`);
      host.exit(0);
    });

  withKey(parent.command('set'))
    .description('set a secret; the value is read from stdin (or --from-env); creates the file if missing')
    .argument('<file>')
    .argument('<name>')
    .option('--from-env <name>', 'take the value from this environment variable instead of stdin')
    .action(async (file: string, name: string, f: KeyFlags & { fromEnv?: string }) => {
      const value = f.fromEnv === undefined ? await readAll(host.stdin) : host.env[f.fromEnv];
      if (value === undefined)
        host.fail(`Environment variable ${f.fromEnv} is not set.`, 'Export it, or pipe the value.', 2);
      await (await open(file, f, true)).set(name, value);
      host.exit(0);
    });

  withKey(parent.command('get'))
    .description('print a secret value')
    .argument('<file>')
    .argument('<name>')
    .action(async (file: string, name: string, f: KeyFlags) => {
      const v = await (await open(file, f)).get(name);
      if (v === undefined) noSecret(name, file);
      host.stdout.write(`${v}\n`);
      host.exit(0);
    });

  withKey(parent.command('list'))
    .description('print the secret names, one per line')
    .argument('<file>')
    .action(async (file: string, f: KeyFlags) => {
      for (const n of await (await open(file, f)).list()) host.stdout.write(`${n}\n`);
      host.exit(0);
    });

  withKey(parent.command('delete'))
    .description('remove a secret')
    .argument('<file>')
    .argument('<name>')
    .action(async (file: string, name: string, f: KeyFlags) => {
      if (!(await (await open(file, f)).delete(name))) noSecret(name, file);
      host.exit(0);
    });

  withKey(withKey(parent.command('rotate'), 'new-'))
    .description('re-encrypt the file under a new key or passphrase (atomic: readers see the old or the new file)')
    .argument('<file>')
    .action(
      async (file: string, f: KeyFlags & { newKeyFile?: string; newKeyEnv?: string; newPassphraseEnv?: string }) => {
        const next = keySource(
          { keyFile: f.newKeyFile, keyEnv: f.newKeyEnv, passphraseEnv: f.newPassphraseEnv },
          host.cwd,
        );
        if (Object.keys(next).length !== 1)
          host.fail(
            'rotate needs exactly one new key source.',
            'Give one of --new-key-file, --new-key-env, --new-passphrase-env.',
            2,
          );
        await (await open(file, f)).rotate(next);
        host.exit(0);
      },
    );
  return parent;
}

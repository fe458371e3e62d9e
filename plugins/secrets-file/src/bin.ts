#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { isFlowlaneError } from '@flowlane/core';
import { Command, Option } from 'commander';
import type { KeySource } from './key-source.js';
import { openSecretsFile } from './secrets-file.js';
import { PKG_VERSION } from './version.js';

/**
 * `flowlane-secrets`: manage an encrypted secrets file until `flowlane secrets` exists in the CLI. Values are read from
 * stdin or an environment variable, never from the command line (it would end up in shell history and `ps`).
 */
const program: Command = new Command('flowlane-secrets')
  .description('Manage a Flowlane AES-256-GCM encrypted secrets file.')
  .version(PKG_VERSION)
  .showHelpAfterError();

type KeyFlags = { keyFile?: string; keyEnv?: string; passphraseEnv?: string };
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
const keySource = (f: KeyFlags): KeySource => ({
  ...(f.keyFile === undefined ? {} : { keyFile: f.keyFile }),
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

program
  .command('keygen')
  .description('print a new random 32-byte key (base64)')
  .action(() => console.log(randomBytes(32).toString('base64')));

withKey(program.command('set'))
  .description('set a secret; the value is read from stdin (or --from-env); creates the file if missing')
  .argument('<file>')
  .argument('<name>')
  .option('--from-env <name>', 'take the value from this environment variable instead of stdin')
  .action(async (file: string, name: string, f: KeyFlags & { fromEnv?: string }) => {
    const value = f.fromEnv === undefined ? await readStdin() : process.env[f.fromEnv];
    if (value === undefined) return program.error(`environment variable ${f.fromEnv} is not set`, { exitCode: 2 });
    const s = await openSecretsFile(file, { ...keySource(f), create: true });
    await s.set(name, value);
  });

withKey(program.command('get'))
  .description('print a secret value')
  .argument('<file>')
  .argument('<name>')
  .action(async (file: string, name: string, f: KeyFlags) => {
    const v = await (await openSecretsFile(file, keySource(f))).get(name);
    if (v === undefined) return program.error(`no secret named "${name}" in ${file}`, { exitCode: 1 });
    process.stdout.write(`${v}\n`);
  });

withKey(program.command('list'))
  .description('print the secret names, one per line')
  .argument('<file>')
  .action(async (file: string, f: KeyFlags) => {
    for (const n of await (await openSecretsFile(file, keySource(f))).list()) console.log(n);
  });

withKey(program.command('delete'))
  .description('remove a secret')
  .argument('<file>')
  .argument('<name>')
  .action(async (file: string, name: string, f: KeyFlags) => {
    if (!(await (await openSecretsFile(file, keySource(f))).delete(name)))
      program.error(`no secret named "${name}" in ${file}`, { exitCode: 1 });
  });

withKey(withKey(program.command('rotate'), 'new-'))
  .description('re-encrypt the file under a new key or passphrase (atomic: readers see the old or the new file)')
  .argument('<file>')
  .action(
    async (file: string, f: KeyFlags & { newKeyFile?: string; newKeyEnv?: string; newPassphraseEnv?: string }) => {
      const next = keySource({
        keyFile: f.newKeyFile,
        keyEnv: f.newKeyEnv,
        passphraseEnv: f.newPassphraseEnv,
      } as KeyFlags);
      if (Object.keys(next).length !== 1)
        program.error('give exactly one of --new-key-file, --new-key-env, --new-passphrase-env', { exitCode: 2 });
      await (await openSecretsFile(file, keySource(f))).rotate(next);
    },
  );

try {
  await program.parseAsync();
} catch (e) {
  // Our errors never contain secret values; anything else is reported by its message only.
  console.error(
    isFlowlaneError(e)
      ? `${(e as { code: string }).code}: ${(e as Error).message}`
      : String((e as Error)?.message ?? e),
  );
  process.exitCode = 1;
}

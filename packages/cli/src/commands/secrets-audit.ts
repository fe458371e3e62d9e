import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { importOptional } from '../optional-package.js';
import type { CliIo } from './io.js';

/** What a plugin's command module gets from the CLI (`SecretsCommandHost` / `AuditCommandHost` in the plugins). */
interface CommandHost {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stdin: AsyncIterable<Buffer | string>;
  fail(message: string, hint: string, exitCode: 1 | 2): never;
  exit(code: number): void;
}
type Register = (parent: Command, host: CommandHost) => Command;

/**
 * The command modules of the optional plugin packages: `@flowlane/secrets-file/commands` and
 * `@flowlane/audit-file/commands` define `flowlane secrets …` and `flowlane audit …` — the same implementation as
 * those packages' own bins. Absent when the package is not installed.
 */
export interface PluginCommands {
  readonly secrets?: Register | undefined;
  readonly audit?: Register | undefined;
}

const SECRETS = { pkg: '@flowlane/secrets-file', module: '@flowlane/secrets-file/commands', name: 'flowlane secrets' };
const AUDIT = { pkg: '@flowlane/audit-file', module: '@flowlane/audit-file/commands', name: 'flowlane audit' };

/**
 * Loads a plugin's command module, or `undefined` when it cannot be loaded (not installed, or too old to have one):
 * the group then reports why when it is used.
 */
async function load<T>(io: CliIo, spec: { module: string; name: string }, pick: (m: T) => Register | undefined) {
  try {
    const register = pick(await importOptional<T>(spec.module, io.cwd, spec.name));
    return typeof register === 'function' ? register : undefined;
  } catch {
    return undefined;
  }
}

/** Loads the plugin command modules that are installed (from the project first, then next to the CLI). */
export async function loadPluginCommands(io: CliIo): Promise<PluginCommands> {
  const [secrets, audit] = await Promise.all([
    load<{ registerSecretsCommands: Register }>(io, SECRETS, (m) => m.registerSecretsCommands),
    load<{ registerAuditCommands: Register }>(io, AUDIT, (m) => m.registerAuditCommands),
  ]);
  return { secrets, audit };
}

const hostOf = (io: CliIo, exit: (code: number) => void): CommandHost => ({
  cwd: io.cwd,
  env: io.env,
  stdout: io.stdout,
  stdin: process.stdin,
  fail: (message, hint, exitCode) => {
    throw new CliError(message, hint, exitCode);
  },
  exit,
});

/** A group whose package is not installed: any use says which package to install (exit 2). */
function missing(group: Command, io: CliIo, spec: { pkg: string; name: string }): void {
  group
    .argument('[args...]')
    .allowUnknownOption()
    .action(async () => {
      await importOptional(spec.pkg, io.cwd, spec.name);
      throw new CliError(
        `${spec.name} could not load ${spec.pkg}/commands.`,
        `Install a version of ${spec.pkg} that matches the CLI.`,
      );
    });
}

/**
 * `flowlane secrets keygen|set|get|list|delete|rotate`: an encrypted secrets file, defined by
 * `@flowlane/secrets-file` (an optional peer). Values come from stdin or `--from-env`, never from the command line.
 */
export function registerSecretsCommands(
  program: Command,
  io: CliIo,
  exit: (code: number) => void,
  register: Register | undefined,
): void {
  const group = program
    .command('secrets')
    .description('Manage an AES-256-GCM encrypted secrets file (needs @flowlane/secrets-file).');
  if (register === undefined) missing(group, io, SECRETS);
  else register(group, hostOf(io, exit));
}

/** `flowlane audit verify <path>`: checks a hash-chained audit log, defined by `@flowlane/audit-file` (optional). */
export function registerAuditCommands(
  program: Command,
  io: CliIo,
  exit: (code: number) => void,
  register: Register | undefined,
): void {
  const group = program.command('audit').description('Tools for hash-chained audit logs (needs @flowlane/audit-file).');
  if (register === undefined) missing(group, io, AUDIT);
  else register(group, hostOf(io, exit));
}

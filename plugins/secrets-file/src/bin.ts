#!/usr/bin/env node
import { isFlowlaneError } from '@flowlane/core';
import { Command, CommanderError } from 'commander';
import { registerSecretsCommands } from './commands.js';
import { PKG_VERSION } from './version.js';

/** A failure the user can fix, reported as its message and a hint. */
class Failure extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * `flowlane-secrets`: the same commands as `flowlane secrets` (one implementation, `registerSecretsCommands`), for
 * projects without the CLI. Exit codes: 0 success, 1 error (code and message on stderr), 2 usage error (unknown or
 * missing flag or argument).
 */
const program: Command = new Command('flowlane-secrets')
  .description('Manage a Flowlane AES-256-GCM encrypted secrets file.')
  .version(PKG_VERSION, '-V, --version', 'print the version')
  .helpOption('-h, --help', 'show help')
  .showHelpAfterError()
  .exitOverride();
registerSecretsCommands(program, {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stdin: process.stdin,
  fail: (message, hint, exitCode) => {
    throw new Failure(message, hint, exitCode);
  },
  exit: (code) => {
    process.exitCode = code;
  },
});

try {
  await program.parseAsync();
} catch (e) {
  if (e instanceof CommanderError) {
    // commander printed the message (unknown option with "did you mean", missing argument…) or the help.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof Failure) {
    console.error(`✖ ${e.message}\n  hint: ${e.hint}`);
    process.exitCode = e.exitCode;
  } else {
    // Our errors never contain secret values; anything else is reported by its message only.
    console.error(isFlowlaneError(e) ? `${e.code}: ${e.message}` : String((e as Error | undefined)?.message ?? e));
    process.exitCode = 1;
  }
}

#!/usr/bin/env node
import { isFlowlaneError } from '@flowlane/core';
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands.js';
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
 * `flowlane-audit`: the same commands as `flowlane audit` (one implementation, `registerAuditCommands`), for projects
 * without the CLI. Exit codes: 0 intact, 1 broken or an error, 2 usage error (unknown or missing flag or argument).
 */
const program: Command = new Command('flowlane-audit')
  .description('Tools for Flowlane hash-chained audit logs.')
  .version(PKG_VERSION, '-V, --version', 'print the version')
  .helpOption('-h, --help', 'show help')
  .showHelpAfterError()
  .exitOverride();
registerAuditCommands(program, {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
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
    console.error(isFlowlaneError(e) ? `${e.code}: ${e.message}` : String((e as Error | undefined)?.message ?? e));
    process.exitCode = 1;
  }
}

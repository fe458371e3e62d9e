/** Exit codes of the `flowlane` command. */
export const ExitCode = {
  /** The run succeeded; the file is valid; the command did what it was asked. */
  ok: 0,
  /** The run failed; the file has definition problems; it could not be loaded. */
  failed: 1,
  /** Bad usage: unknown option, missing argument, unreadable `--input`. */
  usage: 2,
  /** The run was cancelled by Ctrl-C (SIGINT). */
  interrupted: 130,
} as const;

/** An error the CLI reports as `message` plus a `hint` line, exiting with `exitCode` (no stack trace). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode: number = ExitCode.failed,
  ) {
    super(message);
  }
}

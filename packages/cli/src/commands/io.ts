/** Where a command writes, and what it knows of its terminal (injectable for tests). */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & {
    readonly isTTY?: boolean | undefined;
    readonly columns?: number | undefined;
    readonly rows?: number | undefined;
  };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The process's own streams. */
export const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});

/** Writes one line. */
export const println = (stream: NodeJS.WritableStream, line = ''): void => {
  stream.write(`${line}\n`);
};

import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { CliError, ExitCode } from './cli-error.js';
import { graphCommand } from './commands/graph.js';
import { type CliIo, println, processIo } from './commands/io.js';
import { monitorCommand } from './commands/monitor.js';
import { runCommand } from './commands/run.js';
import { registerRunsCommands } from './commands/runs-program.js';
import {
  loadPluginCommands,
  type PluginCommands,
  registerAuditCommands,
  registerSecretsCommands,
} from './commands/secrets-audit.js';
import { validateCommand } from './commands/validate.js';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from './completion/completion-script.js';
import { GRAPH_FORMATS } from './graph-format.js';
import { initPluginCommand } from './init/init-plugin.js';
import { PLUGIN_KINDS } from './init/plugin-templates.js';
import { redactUrls } from './redact.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/**
 * The `flowlane` program (commander). Each command sets the exit code through `exit`; command groups (`init`,
 * `runs`) are sub-commands registered here, each in its own module. `flowlane secrets` and `flowlane audit` come from
 * the plugins' command modules in `plugins` (`main` loads the installed ones); without them those groups only say
 * which package to install.
 */
export function createProgram(io: CliIo, exit: (code: number) => void, plugins: PluginCommands = {}): Command {
  const program = new Command('flowlane')
    .description('Run, validate and draw Flowlane workflows; scaffold plugins.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  program
    .command('run')
    .description('Run a workflow from a .ts/.js file (no build step) with live progress and a summary.')
    .argument('<file>', 'file exporting the workflow (default export, or the only workflow export)')
    .option('-e, --export <name>', 'the export to run when the file has several')
    .option('-i, --input <json|@file>', 'run input: inline JSON or @path/to/input.json (default {})')
    .option('--json', 'print events as NDJSON (one JSON object per line), then a run.result line')
    .option('-s, --store <url>', 'run durably on this Redis execution store (redis://…; needs @flowlane/store-redis)')
    .option('--prefix <prefix>', 'key prefix in the store (default flowlane:)')
    .option('--id <executionId>', 'the execution id (default: generated)')
    .addHelpText(
      'after',
      `
Output: live rows on a terminal, one line per event when piped, NDJSON with --json.
With --store the run is logged in Redis: \`flowlane runs\` lists, shows, watches, cancels and resumes it.
Exit codes: 0 success, 1 failed, 2 bad usage, 130 cancelled by Ctrl-C (running commands are killed).
Engine: the file may export \`engineOptions\` (createEngine options, e.g. plugins) or a ready \`engine\`.`,
    )
    .action(
      async (
        file: string,
        opts: {
          export?: string;
          input?: string;
          json?: boolean;
          store?: string;
          prefix?: string;
          id?: string;
        },
      ) => {
        exit(await runCommand(file, opts, io));
      },
    );

  program
    .command('validate')
    .description('Check every workflow a file exports; list each definition problem with code, node and hint.')
    .argument('<file>', 'file exporting workflows or builders')
    .option('--json', 'print { file, valid, problems } as JSON')
    .addHelpText('after', '\nExit codes: 0 valid, 1 problems found (or the file did not load), 2 bad usage.')
    .action(async (file: string, opts: { json?: boolean }) => {
      exit(await validateCommand(file, opts, io));
    });

  program
    .command('graph')
    .description('Print a workflow as a Mermaid flowchart, Graphviz DOT or its JSON description.')
    .argument('<file>', 'file exporting the workflow')
    .addOption(new Option('-f, --format <format>', 'output format').choices(GRAPH_FORMATS).default('mermaid'))
    .option('-e, --export <name>', 'the export to draw when the file has several')
    .action(async (file: string, opts: { format?: string; export?: string }) => {
      exit(await graphCommand(file, opts, io));
    });

  registerRunsCommands(program, io, exit);
  registerSecretsCommands(program, io, exit, plugins.secrets);
  registerAuditCommands(program, io, exit, plugins.audit);

  program
    .command('monitor')
    .description('A standalone, read-only monitor (dashboard + WebSocket) of every engine sharing a Redis store.')
    .option('-s, --store <url>', 'the Redis execution store: redis://… (default: $FLOWLANE_STORE)')
    .option('--prefix <prefix>', 'key prefix in the store (default flowlane:)')
    .option('-p, --port <port>', 'port to listen on (default 4300; 0 picks a free one)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--interval <ms>', 'how often the store is polled (default 500)')
    .addHelpText(
      'after',
      `
The token clients log in with is read from FLOWLANE_MONITOR_TOKEN (at least 8 characters).
Needs @flowlane/monitor and @flowlane/store-redis installed. Runs until Ctrl-C.`,
    )
    .action(async (opts: { store?: string; prefix?: string; port?: string; host?: string; interval?: string }) => {
      exit(await monitorCommand(opts, io));
    });

  const init = program.command('init').description('Scaffold Flowlane packages.');
  init
    .command('plugin')
    .description('Create a third-party plugin package that passes its own conformance tests out of the box.')
    .argument('<name>', 'npm package name, e.g. flowlane-plugin-acme or @acme/flowlane-executor-x')
    .addOption(new Option('-k, --kind <kind>', 'extension point').choices(PLUGIN_KINDS).default('executor'))
    .option('-d, --dir <path>', 'target directory (default: ./<name> without scope)')
    .action((name: string, opts: { kind?: string; dir?: string }) => {
      exit(initPluginCommand(name, opts, io));
    });

  program
    .command('completion')
    .description('Print a shell completion script (commands, options, --format values, file paths) to source.')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(COMPLETION_SHELLS))
    .addHelpText(
      'after',
      `
Install (bash):  echo 'source <(flowlane completion bash)' >> ~/.bashrc
Install (zsh):   echo 'source <(flowlane completion zsh)' >> ~/.zshrc
Install (fish):  flowlane completion fish > ~/.config/fish/completions/flowlane.fish`,
    )
    .action((shell: CompletionShell) => {
      io.stdout.write(completionScript(program, shell));
      exit(ExitCode.ok);
    });

  return program;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code. Usage errors exit 2;
 * `CliError`s print their message and hint; any other error prints its message (and code for Flowlane errors).
 *
 * @example
 * ```ts
 * import { main } from '@flowlane/cli';
 *
 * process.exitCode = await main(['validate', 'workflows/release.ts']);
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = ExitCode.ok;
  // The plugins' command modules are loaded only for the commands (and help, completion) that show them.
  const first = argv[0];
  const plugins =
    first === undefined || ['secrets', 'audit', 'completion', 'help', '-h', '--help'].includes(first)
      ? await loadPluginCommands(io)
      : {};
  const program = createProgram(
    io,
    (c) => {
      code = c;
    },
    plugins,
  );
  for (const cmd of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)])
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return ExitCode.ok;
      // commander already printed the message (and the help hint).
      return e.code === 'commander.executeSubCommandAsync' ? ExitCode.failed : ExitCode.usage;
    }
    if (e instanceof CliError) {
      println(io.stderr, `✖ ${redactUrls(e.message)}`);
      println(io.stderr, `  hint: ${redactUrls(e.hint)}`);
      return e.exitCode;
    }
    const err = e as { code?: unknown; message?: unknown; stack?: unknown };
    const code = typeof err.code === 'string' && err.code.startsWith('FL_') ? `${err.code}: ` : '';
    println(io.stderr, `✖ ${code}${redactUrls(String(err.message ?? e))}`);
    if (io.env.FLOWLANE_DEBUG !== undefined && typeof err.stack === 'string') println(io.stderr, redactUrls(err.stack));
    return ExitCode.failed;
  }
}

import { type Command, Option } from 'commander';
import type { CliIo } from './io.js';
import {
  RUN_STATUSES,
  runsCancelCommand,
  runsListCommand,
  runsResumeCommand,
  runsShowCommand,
  runsWatchCommand,
} from './runs.js';

const STORE_HELP = 'the Redis execution store: redis://[user:password@]host:port[/db] (default: $FLOWLANE_STORE)';

/** `flowlane runs …`: the durable execution log in a Redis store (`@flowlane/store-redis`). */
export function registerRunsCommands(program: Command, io: CliIo, exit: (code: number) => void): void {
  const runs = program
    .command('runs')
    .description('List, show, watch, cancel and resume runs recorded in a Redis execution store.')
    .addHelpText(
      'after',
      '\nEvery runs command takes --store redis://… (or FLOWLANE_STORE) and needs @flowlane/store-redis installed.',
    );
  const store = (cmd: Command): Command =>
    cmd
      .option('-s, --store <url>', STORE_HELP)
      .option('--prefix <prefix>', 'key prefix in the store (default flowlane:)');

  store(
    runs
      .command('list')
      .description('Runs in the store, newest first (every process sharing it; finished ones included).')
      .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
      .option('-w, --workflow <name>', 'only runs of this workflow')
      .option('-n, --limit <n>', 'at most this many runs (default 20)')
      .option('--cursor <cursor>', 'the next page (printed after a full page)')
      .option('--json', 'print { runs, cursor } as JSON'),
  ).action(async (opts) => {
    exit(await runsListCommand(opts, io));
  });

  store(
    runs
      .command('show')
      .description('A run: status, node table and every event of its log.')
      .argument('<id>', 'execution id')
      .option('--json', 'print { run, records } as JSON'),
  ).action(async (id: string, opts) => {
    exit(await runsShowCommand(id, opts, io));
  });

  store(
    runs
      .command('watch')
      .description('Live view of a run executing in any process, until it finishes.')
      .argument('<id>', 'execution id')
      .option('--json', 'print the events as NDJSON')
      .option('--interval <ms>', 'how often the log is read (default 250)')
      .addHelpText(
        'after',
        '\nExit codes: 0 success, 1 failed or cancelled, 130 Ctrl-C (stops watching; the run goes on).',
      ),
  ).action(async (id: string, opts) => {
    exit(await runsWatchCommand(id, opts, io));
  });

  store(
    runs
      .command('cancel')
      .description('Cancel a run executing in any process sharing the store.')
      .argument('<id>', 'execution id')
      .option('-r, --reason <text>', 'the cancellation reason recorded in the log')
      .option(
        '--wait <seconds>',
        'how long the owning engine gets before the run is cancelled in the store (default 10)',
      )
      .addHelpText(
        'after',
        `
The engine executing the run cancels it (its nodes' abort signals fire, commands are killed). When no engine answers
within --wait (its process died), the run is finished as cancelled in the log and can no longer be resumed.
Exit codes: 0 cancelled, 1 the run had already finished or no run has this id, 2 bad usage (e.g. --wait).`,
      ),
  ).action(async (id: string, opts) => {
    exit(await runsCancelCommand(id, opts, io));
  });

  store(
    runs
      .command('resume')
      .description('Continue a run from its log in this process (e.g. after its process died), with live progress.')
      .argument('<id>', 'execution id')
      .argument('[file]', 'the file that defines the workflow (or --file)')
      .option('-f, --file <file>', 'the file that defines the workflow')
      .option('--json', 'print events as NDJSON, then a run.result line')
      .addHelpText(
        'after',
        `
Completed nodes are not run again; nodes in flight when the previous owner stopped run again (at-least-once).
The run's lease is taken at once: a previous owner still alive is fenced. Exit codes as flowlane run.`,
      ),
  ).action(async (id: string, file: string | undefined, opts) => {
    exit(await runsResumeCommand(id, file, opts, io));
  });
}

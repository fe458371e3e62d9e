import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPLETION_SHELLS } from '../src/completion/completion-script.js';
import { GRAPH_FORMATS } from '../src/graph-format.js';
import { flowlane } from './run-cli.test-helper.js';

let tmp: string;
let bashScript: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'flowlane-completion-test-'));
  // The script as users get it: printed by the built binary.
  const r = await flowlane(['completion', 'bash']);
  expect(r.code).toBe(0);
  bashScript = join(tmp, 'flowlane.bash');
  await writeFile(bashScript, r.stdout);
  // A working directory with files for path completion.
  await mkdir(join(tmp, 'cwd', 'workflows'), { recursive: true });
  await writeFile(join(tmp, 'cwd', 'release.ts'), '');
  await writeFile(join(tmp, 'cwd', 'report.ts'), '');
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Completes the last of `words` in a real bash that sourced the generated script, as bash's Tab would. */
function complete(...words: string[]): string[] {
  const out = execFileSync(
    'bash',
    [
      '--norc',
      '--noprofile',
      '-c',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash array expansion, not a JS placeholder
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _flowlane_completion; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      bashScript,
      ...words,
    ],
    { cwd: join(tmp, 'cwd'), encoding: 'utf8' },
  );
  return out.split('\n').filter((l) => l !== '');
}

describe('flowlane completion bash, in a real bash', () => {
  it('completes sub-commands, nested sub-commands and the help command argument', () => {
    expect(complete('flowlane', 'ru')).toEqual(['run', 'runs']);
    expect(complete('flowlane', 'runs', 'l')).toEqual(['list']);
    expect(complete('flowlane', 'secrets', 'l')).toEqual(['list']);
    expect(complete('flowlane', 'runs', 'help', 'w')).toEqual(['watch']);
    expect(complete('flowlane', 'init', '')).toEqual(['plugin', 'help']);
    expect(complete('flowlane', 'completion', '')).toEqual([...COMPLETION_SHELLS]);
  });

  it('completes the options of the command being typed, after option values and positionals', () => {
    expect(complete('flowlane', 'graph', 'release.ts', '--f')).toEqual(['--format']);
    expect(complete('flowlane', 'runs', 'list', '--s')).toEqual(['--status', '--store']);
    // `-e main` takes a value: `main` is skipped, not mistaken for a sub-command or positional.
    expect(complete('flowlane', 'run', '-e', 'main', 'release.ts', '--j')).toEqual(['--json']);
    expect(complete('flowlane', '--v')).toEqual(['--version']);
  });

  it('completes --format and other choice values (also written --format=…)', () => {
    expect(complete('flowlane', 'graph', 'release.ts', '--format', '')).toEqual([...GRAPH_FORMATS]);
    expect(complete('flowlane', 'graph', '-f', 'd')).toEqual(['dot']);
    // bash splits `--format=m` at '=' (COMP_WORDBREAKS).
    expect(complete('flowlane', 'graph', '--format', '=', 'm')).toEqual(['mermaid']);
    expect(complete('flowlane', 'runs', 'list', '--status', 'c')).toEqual(['cancelled']);
    // Free-form values offer nothing rather than wrong words.
    expect(complete('flowlane', 'run', '--store', '')).toEqual([]);
  });

  it('completes file paths for run, validate and graph, not for commands that take ids', () => {
    expect(complete('flowlane', 'run', 're').sort()).toEqual(['release.ts', 'report.ts']);
    expect(complete('flowlane', 'validate', 'rel')).toEqual(['release.ts']);
    expect(complete('flowlane', 'graph', '--format', 'dot', 'wor')).toEqual(['workflows']);
    expect(complete('flowlane', 'runs', 'show', 're')).toEqual([]);
  });
});

/** The output of the built `flowlane completion <shell>`. */
async function script(shell: string): Promise<{ code: number | null; out: string; err: string }> {
  const r = await flowlane(['completion', shell]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// zsh and fish are not installed on the CI machine: these check the scripts' structure against the command tree.
describe('flowlane completion zsh / fish (structure)', () => {
  it('zsh loads bashcompinit and registers the same generated completion', async () => {
    const { code, out } = await script('zsh');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('#compdef flowlane');
    expect(out).toContain('bashcompinit && bashcompinit');
    expect(out).toContain((await script('bash')).out);
  });

  it('fish has a rule per sub-command, option and choice, with file completion for workflow files', async () => {
    const { code, out } = await script('fish');
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines).toContain(
      "complete -c flowlane -n '__fish_seen_subcommand_from graph' -s f -l format -x -a 'mermaid dot json' -d 'output format'",
    );
    for (const cmd of ['run', 'validate', 'graph'])
      expect(lines).toContain(`complete -c flowlane -n '__fish_seen_subcommand_from ${cmd}' -F`);
    expect(lines.some((l) => l.startsWith("complete -c flowlane -n '__fish_use_subcommand' -a runs -d "))).toBe(true);
    expect(
      lines.some((l) =>
        l.startsWith(
          "complete -c flowlane -n '__fish_seen_subcommand_from runs; and not __fish_seen_subcommand_from list show watch cancel resume help' -a list -d ",
        ),
      ),
    ).toBe(true);
  });

  it('an unknown shell is a usage error naming the supported ones', async () => {
    const { code, err } = await script('tcsh');
    expect(code).toBe(2);
    expect(err).toContain('Allowed choices are bash, zsh, fish');
  });
});

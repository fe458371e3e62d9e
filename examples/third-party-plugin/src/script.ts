/** One command of a script: its words and where its output goes. */
export interface Statement {
  readonly argv: readonly string[];
  /** `>&2` at the end of the statement: stdout goes to stderr. */
  readonly toStderr: boolean;
}

/**
 * Parses `command` into statements. Without `shell`, `command` is one program name and `args` its arguments,
 * taken verbatim. With `shell`, `command` is a tiny script: statements separated by `;` or newlines, words split on
 * blanks, `'…'` quoted literally, `"…"` quoted with `$1`…`$9` expanded from `args`, bare `$1`…`$9` expanded too,
 * and a trailing `>&2` sending the statement's output to stderr. Nothing else of a real shell exists here.
 */
export function parseScript(command: string, args: readonly string[], shell: boolean): Statement[] {
  if (!shell) return [{ argv: [command, ...args], toStderr: false }];
  const statements: Statement[] = [];
  let words: string[] = [];
  let word: string | undefined;
  const param = (digit: string): string => args[Number(digit) - 1] ?? '';
  const endWord = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endStatement = (): void => {
    endWord();
    if (words.length === 0) return;
    const toStderr = words.at(-1) === '>&2';
    statements.push({ argv: toStderr ? words.slice(0, -1) : words, toStderr });
    words = [];
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (c === ';' || c === '\n') endStatement();
    else if (c === ' ' || c === '\t') endWord();
    else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      word = (word ?? '') + command.slice(i + 1, end === -1 ? undefined : end);
      i = end === -1 ? command.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < command.length && command[j] !== '"'; j++) {
        const d = command[j + 1];
        if (command[j] === '$' && d !== undefined && /[1-9]/.test(d)) text += param(command[++j]!);
        else text += command[j];
      }
      word = (word ?? '') + text;
      i = j;
    } else if (c === '$' && /[1-9]/.test(command[i + 1] ?? '')) word = (word ?? '') + param(command[++i]!);
    else word = (word ?? '') + c;
  }
  endStatement();
  return statements;
}

import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEnvName, quoteShellArg } from './shell-quote.js';

/**
 * Runs `printf %s <quoted>` through a real POSIX shell and returns what the program received. stdin is closed: bash
 * whose stdin is a socket (node's pipes are socketpairs) takes itself for an rshd session and sources ~/.bashrc —
 * 0.7 s per call with root's pyenv set-up here, which timed this test out in CI.
 */
const throughShell = (value: string, shell = '/bin/sh'): string =>
  execFileSync(shell, ['-c', `printf %s ${quoteShellArg(value)}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const HOSTILE = [
  '$(rm -rf /)',
  '`rm -rf /`',
  '; echo pwned',
  '&& echo pwned',
  '| cat /etc/passwd',
  "it's",
  "'",
  "''",
  `'"'"'`,
  '"double" \\back\\slash',
  'line1\nline2\n',
  '\r\t tab',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} the shell must not expand
  '$HOME ${PATH} $1 $@ $$',
  '* ? [a-z] ~root',
  '> /tmp/out < /etc/passwd 2>&1',
  '!event !! #comment',
  '-n',
  '',
  ' ',
  'ünïcödé ✓ 🚀',
  "\\'",
  'a=b',
];

describe('quoteShellArg', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('delivers %s verbatim through /bin/sh', (_, value) => {
    expect(throughShell(value)).toBe(value);
  });

  it('delivers hostile strings verbatim through bash too (the login shell sshd usually starts)', () => {
    for (const value of HOSTILE) expect(throughShell(value, '/bin/bash')).toBe(value);
  });

  it('delivers any string without NUL verbatim (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
        (value) => throughShell(value) === value,
      ),
      { numRuns: 150 },
    );
  });

  it('leaves plain words bare and single-quotes everything else', () => {
    expect(quoteShellArg('/usr/bin/env')).toBe('/usr/bin/env');
    expect(quoteShellArg('--flag')).toBe('--flag');
    expect(quoteShellArg('a b')).toBe("'a b'");
    expect(quoteShellArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellArg('')).toBe("''");
    expect(quoteShellArg('a=b')).toBe("'a=b'");
  });

  it('refuses NUL bytes (no argv can carry them)', () => {
    expect(() => quoteShellArg('a\0b')).toThrow(TypeError);
  });
});

describe('isEnvName', () => {
  it('accepts POSIX names only', () => {
    expect(isEnvName('PATH')).toBe(true);
    expect(isEnvName('_x1')).toBe(true);
    expect(isEnvName('1X')).toBe(false);
    expect(isEnvName('A-B')).toBe(false);
    expect(isEnvName('A;rm -rf /')).toBe(false);
    expect(isEnvName('')).toBe(false);
  });
});

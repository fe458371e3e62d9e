import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flowlane, flowlaneInPty, killLeftovers, PKG, waitFor } from './run-cli.test-helper.js';

const golden = (name: string): Promise<string> => readFile(join(PKG, 'test/golden', name), 'utf8');
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const RELEASE_INPUT = '{"version":"1.2.3"}';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'flowlane-cli-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(killLeftovers);

describe('flowlane run', () => {
  it('in a terminal: per-node rows redrawn in place as the run goes, then the summary table; exit 0', async () => {
    const p = flowlaneInPty(['run', 'test/fixtures/release.ts', '--input', RELEASE_INPUT]);
    const { code, stdout } = await p.done;
    expect(code).toBe(0);
    // log-update redraws the frame: it moves the cursor up and erases lines between frames.
    expect(stdout).toContain('\u001b[1A');
    expect(stdout).toContain('\u001b[2K');
    const text = stdout.replace(ANSI, '');
    const frames = text.split(/release {2}(?=queued|\d+\.\d\d s|completed)/).slice(1);
    expect(frames.length).toBeGreaterThan(5);
    // The build row was seen running, retrying after its first attempt, and finally succeeded after 2 attempts.
    expect(text).toMatch(/build +running/);
    expect(text).toMatch(
      /build +retrying +[\d.]+ s +attempt 1 failed \(ECONNRESET while fetching a tarball\), retrying in 100 ms/,
    );
    expect(text).toMatch(
      /push +running +[\d.]+ s +registry\.internal: connect ECONNREFUSED → falling back to push-mirror/,
    );
    const last = frames[frames.length - 1]!;
    expect(last).toMatch(/^completed in [\d.]+ s {2}· {2}7\/7 settled/);
    expect(last).toMatch(/✔ build +success +[\d.]+ s +after 2 attempts/);
    expect(last).toMatch(/✔ push +success +[\d.]+ s +via push-mirror/);
    // The summary table after the live view.
    expect(text).toMatch(/node +status +attempts +duration +notes\r?\n[─ ]+\r?\n/);
    expect(text).toMatch(
      /push +success +1 +[\d.]+ s +fell back to push-mirror \(registry\.internal: connect ECONNREFUSED\)/,
    );
    expect(text).toMatch(/release: success in [\d.]+ s/);
  });

  it('piped: one plain line per event (no escape codes), then the summary; exit 0', async () => {
    const { code, stdout, stderr } = await flowlane(['run', 'test/fixtures/release.ts', '--input', RELEASE_INPUT]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).not.toMatch(ANSI);
    const [events, summary] = stdout.split('\n\n');
    const lines = events!.split('\n');
    for (const line of lines) expect(line).toMatch(/^\+ +\d+\.\d\d s {2}/);
    expect(lines[0]).toMatch(/▶ release started \(6 nodes\)$/);
    expect(lines).toContainEqual(expect.stringMatching(/build +↻ attempt 1 failed \(ECONNRESET/));
    expect(lines).toContainEqual(
      expect.stringMatching(/push +↪ registry\.internal: connect ECONNREFUSED → falling back to push-mirror$/),
    );
    expect(lines.at(-1)).toMatch(/■ release completed in [\d.]+ s$/);
    expect(summary).toMatch(/^node +status +attempts +duration +notes\n/);
  });

  it('--json: every line is a JSON event, the last one the run.result', async () => {
    const { code, stdout } = await flowlane(['run', 'test/fixtures/release.ts', '--json', '--input', RELEASE_INPUT]);
    expect(code).toBe(0);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    expect(lines[0]).toMatchObject({ type: 'workflow.started', workflow: 'release', nodeCount: 6 });
    expect(lines.map((l) => l.type)).toContain('node.retrying');
    expect(lines.map((l) => l.type)).toContain('node.fell-back');
    expect(lines.at(-2)).toMatchObject({ type: 'workflow.completed' });
    expect(lines.at(-1)).toMatchObject({
      type: 'run.result',
      workflow: 'release',
      status: 'success',
      nodes: { build: { status: 'success', attempts: 2 }, push: { status: 'success', fallbackUsed: 'push-mirror' } },
    });
  });

  it('a failed run exits 1 and names the error code on stderr; --input @file is read', async () => {
    const { code, stdout, stderr } = await flowlane(['run', 'test/fixtures/failing.ts']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/load +failed +1 +[\d.]+ s +warehouse refused the connection/);
    expect(stderr).toMatch(/^✖ FL_NODE_FAILED: Node "load" failed: warehouse refused the connection/);
    const file = join(tmp, 'input.json');
    await writeFile(file, RELEASE_INPUT);
    const withFile = await flowlane(['run', 'test/fixtures/release.ts', '--json', '--input', `@${file}`]);
    expect(withFile.code).toBe(0);
    expect(JSON.parse(withFile.stdout.trimEnd().split('\n').at(-1)!)).toMatchObject({ status: 'success' });
  });

  it('Ctrl-C cancels the run, kills its running command and exits 130', async () => {
    const pidFile = join(tmp, 'sleep.pid');
    const p = flowlaneInPty(['run', 'test/fixtures/sleeper.ts', '--input', JSON.stringify({ pidFile })]);
    let pid = 0;
    await waitFor(() => {
      pid = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) || 0 : 0;
      return pid > 0;
    }, 'the sleep command to start');
    expect(() => process.kill(pid, 0)).not.toThrow(); // sleep 300 is running
    p.child.stdin!.write('\u0003');
    const { code, stdout } = await p.done;
    expect(code).toBe(130);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    const text = stdout.replace(ANSI, '');
    expect(text).toMatch(/wait +cancelled +[\d.]+ s +Execution ".+" was cancelled: interrupted \(SIGINT\)/);
    expect(text).toMatch(/sleeper: cancelled in [\d.]+ s/);
  });

  it('usage errors exit 2 with a hint: bad --input JSON, unknown option, several workflows without --export', async () => {
    const bad = await flowlane(['run', 'test/fixtures/release.ts', '--input', '{version: 1}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✖ --input is not valid JSON: .*\n {2}hint: Quote the JSON for your shell/);
    const emptyId = await flowlane(['run', 'test/fixtures/release.ts', '--input', RELEASE_INPUT, '--id', '']);
    expect(emptyId.code).toBe(2);
    expect(emptyId.stderr).toMatch(/^✖ --id is empty\.\n {2}hint: Pass an execution id/);
    const unknown = await flowlane(['run', 'test/fixtures/release.ts', '--inptu', '{}']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--inptu'\n\(Did you mean --input\?\)/);
    const two = await flowlane(['graph', 'test/fixtures/two.ts']);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/exports several workflows: first, second\.\n {2}hint: Choose one with --export <name>/);
    const missing = await flowlane(['validate', 'test/fixtures/nope.ts']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      '✖ No such file: test/fixtures/nope.ts\n  hint: Check the path (relative to the current directory).\n',
    );
  });
});

describe('flowlane validate and graph (golden outputs)', () => {
  it('validate lists every problem with code, node and hint, exit 1', async () => {
    const { code, stdout } = await flowlane(['validate', 'test/fixtures/invalid.ts']);
    expect(code).toBe(1);
    expect(stdout).toBe(await golden('validate-invalid.txt'));
  });

  it('validate --json, and a valid file exits 0', async () => {
    const json = await flowlane(['validate', 'test/fixtures/invalid.ts', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { problems: { code: string; node?: string }[] };
    expect(report.problems.map((p) => [p.code, p.node])).toEqual([
      ['FL_UNKNOWN_FALLBACK', 'deploy'],
      ['FL_MISSING_DEPENDENCY', 'test'],
      ['FL_CYCLE', 'a'],
    ]);
    const ok = await flowlane(['validate', 'test/fixtures/two.ts']);
    expect(ok).toMatchObject({ code: 0, stdout: '✔ test/fixtures/two.ts: 2 workflows valid (first, second)\n' });
  });

  it.each([
    ['mermaid', 'graph-release.mmd'],
    ['dot', 'graph-release.dot'],
  ])('graph --format %s', async (format, file) => {
    const { code, stdout } = await flowlane(['graph', 'test/fixtures/release.ts', '--format', format]);
    expect(code).toBe(0);
    expect(stdout).toBe(await golden(file));
  });

  it('graph --format json: the workflow description, indented', async () => {
    const { code, stdout } = await flowlane(['graph', 'test/fixtures/release.ts', '--format', 'json']);
    expect(code).toBe(0);
    // The golden file is JSON that the formatter may re-wrap: compare values, and the printed layout separately.
    const description = JSON.parse(stdout) as unknown;
    expect(description).toEqual(JSON.parse(await golden('graph-release.json')));
    expect(stdout).toBe(`${JSON.stringify(description, null, 2)}\n`);
  });

  it('graph rejects an unknown format (exit 2)', async () => {
    const { code, stderr } = await flowlane(['graph', 'test/fixtures/release.ts', '--format', 'svg']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/argument 'svg' is invalid\. Allowed choices are mermaid, dot, json\./);
  });
});

describe('help and version', () => {
  it('--version prints the package version; --help works for every command', async () => {
    const pkg = JSON.parse(await readFile(join(PKG, 'package.json'), 'utf8')) as { version: string };
    expect(await flowlane(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['validate', '--help'],
      ['graph', '--help'],
      ['init', 'plugin', '--help'],
    ]) {
      const r = await flowlane(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: flowlane/);
    }
  });
});

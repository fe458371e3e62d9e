import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openSecretsFile } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** State `i` of the file: one secret whose value is `i:` + 256 KiB of one letter (a write takes a while). */
const stateValue = (i: number) => `${i}:${String.fromCharCode(97 + (i % 26)).repeat(256 * 1024)}`;

/**
 * A real crash: a child process rewrites the secrets file in a loop (each `set` a full atomic rewrite) and is killed
 * with SIGKILL after a seeded-random delay, often in the middle of a write. The file must then decrypt to the last
 * state the child acknowledged or the one it was writing — never anything else.
 */
describe('crash safety of secrets-file writes', () => {
  it('leaves a readable file with the old or the new content after kill -9 at seeded-random points', async () => {
    const dir = await tempDir();
    const path = join(dir, 'secrets.enc');
    const key = randomBytes(32).toString('hex');
    await (await openSecretsFile(path, { key, create: true })).set('state', stateValue(0));
    const script = join(dir, 'writer.mjs');
    await writeFile(
      script,
      `import { openSecretsFile } from ${JSON.stringify(dist)};
const f = await openSecretsFile(process.argv[2], { keyEnv: 'CRASH_KEY' });
let i = Number((await f.get('state')).split(':')[0]);
process.stdout.write('ready\\n');
for (;;) {
  i++;
  await f.set('state', \`\${i}:\${String.fromCharCode(97 + (i % 26)).repeat(256 * 1024)}\`);
  process.stdout.write(\`ack \${i}\\n\`);
}
`,
    );
    const delays = fc.sample(fc.integer({ min: 5, max: 250 }), { numRuns: 6, seed: 1907 });
    let lastState = 0;
    let killedWhileWriting = 0;
    for (const delay of delays) {
      const child = spawn(process.execPath, [script, path], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { PATH: process.env.PATH ?? '', CRASH_KEY: key },
      });
      children.push(child);
      let out = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (d: string) => {
        out += d;
      });
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`writer did not start in 15 s: ${out}`)), 15_000);
        const check = (): void => {
          if (!out.includes('ready')) return;
          clearTimeout(deadline);
          child.stdout?.off('data', check);
          resolve();
        };
        child.stdout?.on('data', check);
        child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${out}`)));
      });
      await new Promise((r) => setTimeout(r, delay)); // the crash point (not a timing assertion)
      child.kill('SIGKILL');
      await once(child, 'close'); // after its stdout is drained: every ack it printed has been read
      const acks = [...out.matchAll(/ack (\d+)/g)].map((m) => Number(m[1]));
      const acked = acks.at(-1) ?? lastState;
      const value = await (await openSecretsFile(path, { key })).get('state');
      expect(value).toBeDefined();
      const state = Number(value!.split(':')[0]);
      expect(value).toBe(stateValue(state)); // a whole state, never a mix
      expect([acked, acked + 1]).toContain(state); // the acknowledged one, or the one being written
      lastState = state;
      if (acks.length > 0) killedWhileWriting++; // the child loops on writes: once started, a kill lands in one
    }
    // Most kills came after the child had started writing (not all during its start-up).
    expect(killedWhileWriting).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

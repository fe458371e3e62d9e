import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditFileError, openAuditLog, verifyAuditLog } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A real second process that opens the log, writes one record and holds the lock until killed. */
async function holder(dir: string, path: string): Promise<ChildProcess> {
  const script = join(dir, 'holder.mjs');
  await writeFile(
    script,
    `import { openAuditLog } from ${JSON.stringify(dist)};
const log = await openAuditLog({ path: ${JSON.stringify(path)} });
await log.append({ timestamp: 1, executionId: 'child', workflow: 'wf', action: 'held' });
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`holder process did not get ready in 15 s: ${out}`)), 15_000);
    child.stdout?.on('data', (d: string) => {
      out += d;
      if (out.includes('ready')) {
        clearTimeout(deadline);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(deadline);
      reject(new Error(`holder process exited with ${code}: ${out}`));
    });
  });
  return child;
}

describe('the writer lock across processes', () => {
  it('refuses a second process with FL_AUDIT_LOCKED and takes over the stale lock of a process killed with SIGKILL', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.jsonl');
    const child = await holder(dir, path);
    const refused = await openAuditLog({ path }).catch((e: unknown) => e);
    expect(AuditFileError.is(refused, 'FL_AUDIT_LOCKED') && refused.details.pid).toBe(child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const log = await openAuditLog({ path });
    expect(log.seq).toBe(1);
    await log.append({ timestamp: 2, executionId: 'parent', workflow: 'wf', action: 'after-takeover' });
    await log.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 2 });
  }, 30_000);
});

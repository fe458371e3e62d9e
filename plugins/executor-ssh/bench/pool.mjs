#!/usr/bin/env node
// Pool benchmark: N `echo` commands on one pooled connection vs a new connection per command, against real OpenSSH
// servers, with the hand-written floor (raw ssh2 exec on one connection) measured in the same run. Two hosts:
//  - "harness": startSshd() from @flowlane/testing as is. sshd runs every command through the user's login shell,
//    and bash sources ~/.bashrc for SSH commands: on this dev box that file runs `pyenv init` (~85 ms a command).
//  - "lean": a second sshd on the same keys with `SetEnv HOME=<empty dir>`, so the login shell reads no rc file,
//    as on a typical server account. Same protocol work; only the remote shell's startup differs.
// Prints a table per host and one JSON line. Run `pnpm --filter @flowlane/executor-ssh build` first.
//   node bench/pool.mjs [--count 200] [--concurrency 8] [--host harness|lean|both]
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSshd } from '@flowlane/testing';
import { Client } from 'ssh2';
import { createSshExecutor } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
    host: { type: 'string', default: 'both' },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** A second sshd sharing the harness's keys and config, whose sessions get an empty HOME (no rc files). */
async function startLeanSshd(sshd) {
  const port = await freePort();
  const home = join(sshd.dir, 'lean-home');
  await mkdir(home, { recursive: true });
  const config = (await readFile(join(sshd.dir, 'sshd_config'), 'utf8'))
    .replace(/^Port \d+$/m, `Port ${port}`)
    .replace(/^PidFile .*$/m, `PidFile ${join(sshd.dir, 'lean.pid')}`);
  await writeFile(join(sshd.dir, 'lean_config'), `${config}SetEnv HOME=${home}\n`);
  const knownHostsPath = join(sshd.dir, 'lean_known_hosts');
  const key = sshd.hostPublicKey.split(' ').slice(0, 2).join(' ');
  await writeFile(knownHostsPath, `[${sshd.host}]:${port} ${key}\n`);
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(sshd.dir, 'lean_config')], { stdio: 'ignore' });
  const deadline = performance.now() + 10_000;
  await new Promise((resolve, reject) => {
    const probe = () => {
      const s = connect(port, sshd.host);
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        if (performance.now() > deadline) reject(new Error('lean sshd did not start'));
        else setTimeout(probe, 20);
      });
    };
    probe();
  });
  return {
    host: { host: sshd.host, port, username: sshd.username, privateKey: sshd.privateKey, knownHosts: knownHostsPath },
    stop: () =>
      new Promise((resolve) => {
        proc.once('close', resolve);
        proc.kill('SIGTERM');
      }),
  };
}

const echo = (ex, i) =>
  ex.exec('echo', { args: [`n${i}`], target: 'web1' }).result.then((r) => {
    if (r.stdout !== `n${i}\n`) throw new Error(`unexpected output ${JSON.stringify(r.stdout)}`);
  });

async function timed(label, fn) {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  return { label, ms, perCommandMs: ms / count };
}

/** The floor: ssh2 by hand, one connection, `exec('echo …')`: no quoting, PID line, limits or pool. */
async function rawFloor(host) {
  const client = new Client();
  await new Promise((resolve, reject) => {
    client.once('ready', resolve).once('error', reject);
    client.connect({ ...host, hostVerifier: () => true });
    client.setNoDelay(true);
  });
  const run = (i) =>
    new Promise((resolve, reject) =>
      client.exec(`echo n${i}`, (err, ch) => {
        if (err) return reject(err);
        ch.on('data', () => undefined).stderr.on('data', () => undefined);
        ch.on('close', resolve);
        ch.end();
      }),
    );
  await run(-1);
  const r = await timed('floor: raw ssh2 exec, one connection', async () => {
    for (let i = 0; i < count; i++) await run(i);
  });
  client.end();
  return r;
}

async function measure(name, host) {
  const floor = await rawFloor(host);
  const pooledEx = createSshExecutor({ hosts: { web1: host } });
  await echo(pooledEx, -1); // connect outside the measurement
  const pooled = await timed('pooled: one connection, sequential', async () => {
    for (let i = 0; i < count; i++) await echo(pooledEx, i);
  });
  const parallelEx = createSshExecutor({ hosts: { web1: { ...host, maxConnections: 1 } } });
  await echo(parallelEx, -1);
  const parallel = await timed(`pooled: one connection, ${concurrency} channels at a time`, async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) await echo(parallelEx, next++);
      }),
    );
  });
  const opened = pooledEx.stats().web1.opened + parallelEx.stats().web1.opened;
  await Promise.all([pooledEx.dispose(), parallelEx.dispose()]);
  const fresh = await timed('new connection per command, sequential', async () => {
    for (let i = 0; i < count; i++) {
      const ex = createSshExecutor({ hosts: { web1: host } });
      await echo(ex, i);
      await ex.dispose();
    }
  });

  console.log(`\n### ${name}: ${count} × echo\n`);
  console.log('| run | total ms | ms / command | vs floor |');
  console.log('|---|---:|---:|---:|');
  for (const r of [floor, pooled, parallel, fresh])
    console.log(
      `| ${r.label} | ${r.ms.toFixed(0)} | ${r.perCommandMs.toFixed(1)} | ${(r.ms / floor.ms).toFixed(2)}× |`,
    );
  const ratio = fresh.ms / pooled.ms;
  console.log(`\npooled vs new connection per command: ${ratio.toFixed(1)}× (goal ≥ 5×)`);
  console.log(
    `pooled with ${concurrency} channels vs new connection per command: ${(fresh.ms / parallel.ms).toFixed(1)}×`,
  );
  console.log(`connections opened by both pooled runs: ${opened}`);
  return {
    host: name,
    count,
    floorMs: floor.ms,
    pooledMs: pooled.ms,
    parallelMs: parallel.ms,
    freshMs: fresh.ms,
    ratio,
    parallelRatio: fresh.ms / parallel.ms,
    pooledVsFloor: pooled.ms / floor.ms,
  };
}

const sshd = await startSshd();
let lean;
try {
  console.log(`OpenSSH on ${sshd.host}, Node ${process.version}`);
  const results = [];
  if (values.host !== 'lean')
    results.push(
      await measure('harness sshd (login shell sources ~/.bashrc)', {
        host: sshd.host,
        port: sshd.port,
        username: sshd.username,
        privateKey: sshd.privateKey,
        knownHosts: sshd.knownHostsPath,
      }),
    );
  if (values.host !== 'harness') {
    lean = await startLeanSshd(sshd);
    results.push(await measure('lean login (no rc files)', lean.host));
  }
  console.log(`\n${JSON.stringify(results)}`);
} finally {
  await lean?.stop();
  await sshd.dispose();
}

// Worker of case X1 (ssh-pool.mjs): N `echo` commands against a real OpenSSH server started by @flowlane/testing,
// measured four ways in one process — the floor (raw ssh2 `exec` on one connection, no executor), the SSH executor's
// pool one command at a time, the pool with 8 commands at a time on one connection, and a new executor (so a new
// connection, key exchange and login) per command. Every command's output is checked. Each measurement is repeated
// `--reps` times (alternating) and the medians are printed as one JSON line.
//   node ssh-pool-worker.mjs --count 200 --reps 3 --lean true|false
import { parseArgs } from 'node:util';
import { createSshExecutor } from '@flowlane/executor-ssh';
import { startSshd } from '@flowlane/testing';
import { Client } from 'ssh2';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
    lean: { type: 'string', default: 'false' },
  },
});
const count = Number(values.count);
const reps = Number(values.reps);
const concurrency = Number(values.concurrency);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const echo = (ex, i) =>
  ex.exec('echo', { args: [`n${i}`], target: 'web1' }).result.then((r) => {
    if (r.stdout !== `n${i}\n`) throw new Error(`unexpected output ${JSON.stringify(r.stdout)} for n${i}`);
  });

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function rawClient(host) {
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client)).once('error', reject);
    client.connect({ host: host.host, port: host.port, username: host.username, privateKey: host.privateKey });
    client.setNoDelay(true);
  });
}

const rawEcho = (client, i) =>
  new Promise((resolve, reject) =>
    client.exec(`echo n${i}`, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      ch.on('data', (d) => {
        out += d;
      }).stderr.on('data', () => undefined);
      ch.on('close', () => (out === `n${i}\n` ? resolve() : reject(new Error(`unexpected output ${out}`))));
      ch.end();
    }),
  );

const sshd = await startSshd({ leanLogin: values.lean === 'true' });
const clients = [];
const executors = [];
try {
  const host = {
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
    knownHosts: sshd.knownHostsPath,
  };
  const raw = await rawClient(host);
  clients.push(raw);
  const pooled = createSshExecutor({ hosts: { web1: host } });
  const parallel = createSshExecutor({ hosts: { web1: { ...host, maxConnections: 1 } } });
  executors.push(pooled, parallel);
  await Promise.all([rawEcho(raw, -1), echo(pooled, -1), echo(parallel, -1)]); // connect outside the measurements
  const samples = { floor: [], pooled: [], parallel: [], fresh: [] };
  for (let r = 0; r < reps; r++) {
    samples.floor.push(
      await timed(async () => {
        for (let i = 0; i < count; i++) await rawEcho(raw, i);
      }),
    );
    samples.pooled.push(
      await timed(async () => {
        for (let i = 0; i < count; i++) await echo(pooled, i);
      }),
    );
    samples.parallel.push(
      await timed(async () => {
        let next = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < count) await echo(parallel, next++);
          }),
        );
      }),
    );
    samples.fresh.push(
      await timed(async () => {
        for (let i = 0; i < count; i++) {
          const ex = createSshExecutor({ hosts: { web1: host } });
          try {
            await echo(ex, i);
          } finally {
            await ex.dispose();
          }
        }
      }),
    );
  }
  const opened = pooled.stats().web1.opened + parallel.stats().web1.opened;
  if (opened !== 2) throw new Error(`the pooled executors opened ${opened} connections, expected 2`);
  console.log(
    JSON.stringify({
      count,
      reps,
      concurrency,
      lean: values.lean === 'true',
      floorMs: median(samples.floor),
      pooledMs: median(samples.pooled),
      parallelMs: median(samples.parallel),
      freshMs: median(samples.fresh),
      rssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  for (const c of clients) c.end();
  await Promise.all(executors.map((e) => e.dispose()));
  await sshd.dispose();
}

#!/usr/bin/env node
// The benchmark's peer systems (Mastra, LangGraph, p-graph) live in bench/peers: a pnpm project of its own (its own
// package.json, pnpm-lock.yaml and pnpm-workspace.yaml), outside the repository's workspace, so a contributor's
// `pnpm install` does not fetch ~145 packages (~150 MB) that only the peer benchmark needs. `pnpm bench` installs them
// here on the first run that needs a peer (run.mjs calls ensurePeers); `pnpm bench:peers` (this file as a script)
// installs them up front.
//   node src/peers.mjs [--node=system|PATH]   install bench/peers if missing or stale (frozen lockfile)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolveNode } from './node-bin.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const PEERS_DIR = resolve(here, '..', 'peers');
/** Where a successful install records what it installed (under node_modules: gone with it). */
const STAMP = join(PEERS_DIR, 'node_modules', '.flowlane-peers-stamp');
const MANIFESTS = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml'];

/** The systems whose code lives in bench/peers/systems and imports a peer library. */
export const PEER_SYSTEMS = new Set(['pgraph', 'mastra', 'langgraph']);

/** The module of a system for worker.mjs: bench/src/systems/<name>.mjs, or bench/peers/systems/<name>.mjs. */
export function systemModuleUrl(system) {
  const dir = PEER_SYSTEMS.has(system) ? join(PEERS_DIR, 'systems') : join(here, 'systems');
  return pathToFileURL(join(dir, `${system}.mjs`)).href;
}

function manifestHash() {
  const h = createHash('sha256');
  for (const f of MANIFESTS)
    h.update(`${f}\0`)
      .update(readFileSync(join(PEERS_DIR, f)))
      .update('\0');
  return h.digest('hex');
}

/** True when bench/peers/node_modules was installed from the current manifests. */
export function peersInstalled() {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === manifestHash();
}

/**
 * Installs bench/peers with `pnpm install --frozen-lockfile` unless it is already installed from the current
 * manifests. `nodeBin` (the Node that will run the peers) goes first on PATH during the install, so pnpm checks the
 * peers' `engines` (Mastra: Node ≥ 22.13) against that Node rather than the one running pnpm. Throws when the install
 * fails, with what to do.
 */
export function ensurePeers({ nodeBin = process.execPath, log = console.log } = {}) {
  if (peersInstalled()) return false;
  const hash = manifestHash();
  log(`Installing the peer systems into bench/peers (missing or out of date; see bench/README.md, "Peer systems")…`);
  const r = spawnSync('pnpm', ['install', '--frozen-lockfile'], {
    cwd: PEERS_DIR,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(nodeBin)}${delimiter}${process.env.PATH ?? ''}` },
  });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : `pnpm exited with ${r.status ?? r.signal}`;
    throw new Error(
      `Could not install the peer systems in ${PEERS_DIR} (${why}). Run \`pnpm bench:peers\` to retry (pnpm must be ` +
        'on PATH: bash scripts/ensure-pnpm.sh), or leave the peers out: `pnpm bench --systems ' +
        'loop,rxjs,flowlane,flowlane-plugins`.',
    );
  }
  writeFileSync(STAMP, `${hash}\n`);
  return true;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    // The Node the bench runs peers on (Node 24, see node-bin.mjs), so that pnpm checks their engines against it.
    const nodeBin = resolveNode(process.argv.find((a) => a.startsWith('--node='))?.slice('--node='.length));
    if (!ensurePeers({ nodeBin })) console.log(`The peer systems in ${PEERS_DIR} are installed and up to date.`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

/* Internal: one pod exec over the `v5.channel.k8s.io` WebSocket protocol, run as a process on this machine. */
import { type ChildProcess, spawn } from 'node:child_process';
import type { WebSocket } from 'ws';
import { execStatus, killGroup } from './api-status.js';

/** Where exec'd processes run and how the server keeps track of them. */
export interface ProcessHost {
  readonly cwd: string;
  /** Registers a started process (it is killed on dispose); returns the function that forgets it. */
  track(child: ChildProcess, argv: readonly string[]): () => void;
}

/**
 * Runs `argv` in its own process group and bridges it to `ws`: stdout on channel 1, stderr on 2, the exit status
 * on 3 (always before the close), stdin from channel 0 until the client sends `[255, 0]`. Text frames and unknown
 * channels from the client are ignored; the client hanging up early kills the group (that is the abort).
 */
export function runExecSession(ws: WebSocket, argv: readonly string[], stdin: boolean, host: ProcessHost): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.of(channel), data]), { binary: true });
  };
  const child = spawn(argv[0]!, argv.slice(1), { cwd: host.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const forget = host.track(child, argv);
  let exited = false;
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  child.stdout?.on('data', (d: Buffer) => send(1, d));
  child.stderr?.on('data', (d: Buffer) => send(2, d));
  child.stdin?.on('error', () => undefined);
  if (!stdin) child.stdin?.end();
  child.on('close', (code, signal) => {
    exited = true;
    forget();
    send(3, Buffer.from(JSON.stringify(execStatus(code, signal, spawnError))));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return; // the protocol is binary-only
    if (data[0] === 0) child.stdin?.write(data.subarray(1));
    else if (data[0] === 255 && data[1] === 0) child.stdin?.end();
  });
  ws.on('close', () => {
    if (!exited && child.pid !== undefined) killGroup(child.pid);
  });
}

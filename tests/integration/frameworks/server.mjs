// Starts the real tierkv-server (TIERKV_SERVER_BIN, else Debian's redis-server as a
// reference) on a free 127.0.0.1 port with a data directory of its own, for one test
// file, and stops it. Also: a bounded wait for a condition, and a test-wide deadline.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => { socket.destroy(); resolve(false); });
  });
}

export async function waitFor(predicate, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function startServer() {
  const binary = process.env.TIERKV_SERVER_BIN || '/usr/bin/redis-server';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tierkv-framework-'));
  for (let attempt = 0; attempt < 3; ++attempt) {
    const port = await freePort();
    const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'no'], { stdio: ['ignore', 'ignore', 'inherit'] });
    let exited = false;
    child.on('exit', () => { exited = true; });
    try {
      await waitFor(async () => exited || await ping(port), 'the server to answer PING');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    if (exited) continue;  // the port was taken meanwhile
    return {
      port,
      connection: { host: '127.0.0.1', port },
      async stop() {
        if (!exited) {
          const done = new Promise((resolve) => child.on('exit', resolve));
          child.kill('SIGTERM');
          await done;
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`${binary} did not start`);
}

// Fails the process if the test has not finished in `ms`.
export function deadline(ms) {
  const timer = setTimeout(() => {
    console.error(`test did not finish in ${ms} ms`);
    process.exit(1);
  }, ms);
  timer.unref();
}

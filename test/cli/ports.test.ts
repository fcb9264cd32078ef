// Issue 10 item 10: every port the hub listens on gets the same treatment when it is taken: exit 2
// and one line naming the port and the flag that changes it (no stack trace, no repeated text).
// The real CLI in a child process; the ports are held by a plain listener on loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-ports-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

function run(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/micro-mining.js', 'start', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'pretty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const t = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr, stdout });
    });
  });
}

const base = (data: string) => ['--data-dir', join(dir, data), '--threads', '0', '--no-mqtt', '--log-level', 'error'];

for (const c of [
  { name: 'stratum endpoint', flag: '--stratum-port', args: (p: number) => ['--stratum-port', String(p), '--no-node-red', '--status-port', '0'] },
  { name: 'status page', flag: '--status-port', args: (p: number) => ['--status-port', String(p), '--no-node-red', '--stratum-port', '0'] },
  { name: 'Node-RED editor', flag: '--node-red-port', args: (p: number) => ['--node-red-port', String(p), '--status-port', '0', '--stratum-port', '0'] },
]) {
  test(`${c.name} port taken: exit 2 and one line naming the port and ${c.flag} (real CLI)`, async () => {
    const { server, port } = await occupy();
    try {
      const r = await run([...base(c.flag.slice(2)), ...c.args(port)]);
      assert.equal(r.code, 2, `exit code\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0], new RegExp(`port ${port}\\b.*in use`), lines[0]);
      assert.ok(lines[0].includes(c.flag), `names ${c.flag}: ${lines[0]}`);
      assert.doesNotMatch(r.stderr, /^\s+at |Error:/m, 'no stack trace');
    } finally {
      server.close();
    }
  });
}

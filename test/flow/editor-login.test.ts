// Issue 10.1: the embedded Node-RED editor and its admin API are never open without a login
// outside HA ingress. A real `micro-mining start` (standalone, practice) in a child process, twice
// on the same data folder: the first start makes an editor password (file mode 0600) and says
// how to log in; unauthenticated deploys are refused (direct port and the status port's
// node-red/ proxy); cross-origin preflights get no CORS grant; a foreign Host header (DNS
// rebinding) is refused; Node-RED's own /auth/token takes the generated login; no start ever
// prints the password in its output (stdout/stderr are not a terminal here).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNodes } from '../../scripts/build-nodes.mjs';
import { freePort } from '../support/mosquitto.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mm-editor-login-'));
const dataDir = join(dir, 'data');
let nrPort = 0;
let statusPort = 0;
let child: ChildProcess | null = null;
let out = '';
const outputs: string[] = [];

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startHub(): Promise<void> {
  out = '';
  const args = [
    'bin/micro-mining.js',
    'start',
    '--practice',
    '--data-dir',
    dataDir,
    '--no-stratum',
    '--no-mqtt',
    '--threads',
    '0',
    '--kernel',
    'js',
    '--node-red-port',
    String(nrPort),
    '--status-port',
    String(statusPort),
    '--log-level',
    'info',
  ];
  const c = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MM_TEST: '', MM_LOG_FORMAT: 'json' } });
  child = c;
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  await until(
    'hub up with the editor',
    async () =>
      /Node-RED started/.test(out) &&
      (await get(statusPort, '/health').then(
        (r) => r.status === 200,
        () => false,
      )),
  );
}

async function stopHub(): Promise<void> {
  const c = child;
  child = null;
  if (!c || c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
  outputs.push(out);
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, timeout: 20_000 }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}
const get = (port: number, path: string, headers: Record<string, string> = {}) => http(port, 'GET', path, headers);

const loginFile = () => join(dataDir, 'node-red-login.json');
const login = () => JSON.parse(readFileSync(loginFile(), 'utf8')) as { username: string; password: string };

async function token(port: number, prefix: string, username: string, password: string): Promise<Res> {
  const form = new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username, password }).toString();
  return http(
    port,
    'POST',
    `${prefix}/auth/token`,
    { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(form)) },
    form,
  );
}

const deployBody = JSON.stringify([{ id: 'evil', type: 'tab', label: 'x' }]);
const deployHeaders = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(deployBody)), 'Node-RED-Deployment-Type': 'full' };

before(async () => {
  await buildNodes({ quiet: true });
  [nrPort, statusPort] = [await freePort(), await freePort()];
  await startHub();
});

after(async () => {
  await stopHub();
  rmSync(dir, { recursive: true, force: true });
});

test('first start: a generated editor login in the data folder, owner-only (0600), and the output says where it is', () => {
  const st = statSync(loginFile());
  assert.equal(st.mode & 0o777, 0o600, `mode ${(st.mode & 0o777).toString(8)}`);
  const l = login();
  assert.equal(l.username, 'admin');
  assert.ok(l.password.length >= 20, 'a long random password');
  assert.match(out, /node-red-login\.json/, 'the output names the file with the login');
  assert.ok(!out.includes(l.password), 'the password is not in the output (not a terminal)');
});

test('an unauthenticated deploy (POST /flows) is refused with 401, on the editor port and through the status port', async () => {
  const direct = await http(nrPort, 'POST', '/flows', deployHeaders, deployBody);
  assert.equal(direct.status, 401, direct.body);
  const proxied = await http(statusPort, 'POST', '/node-red/flows', deployHeaders, deployBody);
  assert.equal(proxied.status, 401, proxied.body);
  const read = await get(nrPort, '/flows');
  assert.equal(read.status, 401, 'reading the flows needs the login too');
});

test('a cross-origin preflight gets no CORS grant (no Access-Control-Allow-Origin), direct and proxied', async () => {
  const pre = { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
  for (const [port, path] of [
    [nrPort, '/flows'],
    [statusPort, '/node-red/flows'],
  ] as const) {
    const r = await http(port, 'OPTIONS', path, pre);
    assert.equal(r.headers['access-control-allow-origin'], undefined, `${port}${path}: ACAO ${r.headers['access-control-allow-origin']}`);
    assert.ok(r.status >= 400, `${port}${path}: preflight answered ${r.status}`);
  }
  // a simple cross-origin POST (no preflight) is refused before Node-RED sees it
  const simple = await http(nrPort, 'POST', '/flows', { ...deployHeaders, 'content-type': 'text/plain', origin: 'http://evil.example' }, deployBody);
  assert.equal(simple.status, 403, simple.body);
  assert.equal(simple.headers['access-control-allow-origin'], undefined);
});

test('a Host header that is not an address of this hub is refused (DNS rebinding), direct and proxied', async () => {
  for (const [port, path] of [
    [nrPort, '/'],
    [statusPort, '/node-red/'],
  ] as const) {
    const bad = await get(port, path, { host: `rebind.evil.example:${port}` });
    assert.equal(bad.status, 403, `${port}${path} with a foreign Host: ${bad.status}`);
    assert.match(bad.body, /node-red-hosts/, 'the refusal says how to allow a name');
    for (const h of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const ok = await get(port, path, { host: h });
      assert.equal(ok.status, 200, `${h}${path}: ${ok.status}`);
    }
  }
  const ws = await http(nrPort, 'GET', '/comms', {
    host: 'rebind.evil.example',
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  }).catch((e: Error) => ({ status: 0, headers: {}, body: e.message }));
  assert.notEqual(ws.status, 101, 'the editor websocket is refused with a foreign Host');
});

test("logging in with the generated password through Node-RED's own /auth/token works; a wrong one is refused", async () => {
  const l = login();
  for (const [port, prefix] of [
    [nrPort, ''],
    [statusPort, '/node-red'],
  ] as const) {
    const r = await token(port, prefix, l.username, l.password);
    assert.equal(r.status, 200, r.body);
    const t = JSON.parse(r.body) as { access_token: string; token_type: string };
    assert.equal(t.token_type, 'Bearer');
    const flows = await get(port, `${prefix}/flows`, { authorization: `Bearer ${t.access_token}` });
    assert.equal(flows.status, 200, flows.body);
    assert.ok(Array.isArray(JSON.parse(flows.body)));
  }
  const wrong = await token(nrPort, '', l.username, `${l.password}x`);
  assert.ok(wrong.status === 401 || wrong.status === 403, `a wrong password: ${wrong.status}`);
  assert.ok(!/access_token/.test(wrong.body));
});

test('a second start keeps the login, says how to log in, and never prints the password', async () => {
  const first = login();
  const mtime = statSync(loginFile()).mtimeMs;
  await stopHub();
  await startHub();
  assert.deepEqual(login(), first, 'the same login');
  assert.equal(statSync(loginFile()).mtimeMs, mtime, 'the file is not rewritten');
  assert.match(out, /log in as admin with the password in .*node-red-login\.json/);
  for (const o of [...outputs, out]) assert.ok(!o.includes(first.password), 'no start prints the password');
  const r = await token(nrPort, '', first.username, first.password);
  assert.equal(r.status, 200);
});

test('on a terminal the first start shows the password once (as Jupyter and Grafana do); a later start on a terminal does not', {
  timeout: 180_000,
}, async () => {
  const ttyData = join(dir, 'tty-data');
  const runOnTty = async (): Promise<string> => {
    const [p1, p2] = [await freePort(), await freePort()];
    const cmd = [
      process.execPath,
      'bin/micro-mining.js',
      'start',
      '--practice',
      '--data-dir',
      ttyData,
      '--no-stratum',
      '--no-mqtt',
      '--threads',
      '0',
      '--kernel',
      'js',
      '--node-red-port',
      String(p1),
      '--status-port',
      String(p2),
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    // script(1) gives the hub a pseudo-terminal: stderr.isTTY is true there
    const c = spawn('script', ['-qfec', cmd, '/dev/null'], {
      cwd: ROOT,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MM_TEST: '' },
    });
    let text = '';
    c.stdout!.on('data', (d) => (text += d));
    c.stderr!.on('data', (d) => (text += d));
    try {
      await until(
        'hub up on a terminal',
        async () =>
          (await get(p2, '/health').then(
            (r) => r.status === 200,
            () => false,
          )) && /Node-RED/.test(text),
        90_000,
      );
      await until('the login hint', () => /node-red-login\.json/.test(text), 30_000);
    } finally {
      const exited = new Promise((r) => c.once('exit', r));
      try {
        process.kill(-c.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => process.kill(-c.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    return text;
  };
  const first = await runOnTty();
  const { password } = JSON.parse(readFileSync(join(ttyData, 'node-red-login.json'), 'utf8')) as { password: string };
  assert.equal(first.split(password).length - 1, 1, 'the password shown exactly once on the first start');
  const second = await runOnTty();
  assert.ok(!second.includes(password), 'a later start does not show it');
  assert.match(second, /log in as admin with the password in .*node-red-login\.json/);
});

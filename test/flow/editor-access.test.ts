// The editor's access rules as pure parts (Host names, Origin, CORS, the generated login file)
// and the status port's node-red/ proxy in both modes: standalone (Host/Origin checked) and
// behind HA ingress (the Supervisor's address check is the gate, as before).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedHosts, editorAccessOptions, editorLogin, hostAllowed, LOGIN_FILE, refusal } from '../../src/flow/index.js';
import { StatusServer } from '../../src/app/status.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-editor-access-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const req = (headers: Record<string, string>, method = 'GET') => ({ headers, method }) as unknown as IncomingMessage;

test('Host names: loopback always, the bind address, every own address for 0.0.0.0, configured names; nothing else', () => {
  const lo = allowedHosts('127.0.0.1');
  for (const h of ['127.0.0.1:1880', 'localhost:1880', 'LOCALHOST', '[::1]:1880', '127.0.0.5', 'x.localhost:1880']) assert.ok(hostAllowed(h, lo), h);
  for (const h of ['evil.example:1880', '192.168.1.5:1880', '', 'localhost.evil.example', '127.0.0.1.evil.example']) assert.ok(!hostAllowed(h, lo), h);
  assert.ok(!hostAllowed(undefined, lo), 'no Host header');
  const named = allowedHosts('192.168.1.5', ['hub.local']);
  assert.ok(hostAllowed('192.168.1.5:1880', named) && hostAllowed('HUB.local:1880', named) && hostAllowed('hub.local.', named));
  assert.ok(!hostAllowed('hub.local.evil.example', named));
  const all = allowedHosts('0.0.0.0');
  const own = Object.values(networkInterfaces())
    .flatMap((l) => l ?? [])
    .map((a) => a.address);
  for (const a of own) assert.ok(all.has(a.toLowerCase().replace(/%.*$/, '')), a);
});

test('Origin: only the page itself; CORS preflights are refused; a plain same-origin request passes', () => {
  const hosts = allowedHosts('127.0.0.1');
  assert.equal(refusal(req({ host: '127.0.0.1:1880' }), hosts), null);
  assert.equal(refusal(req({ host: '127.0.0.1:1880', origin: 'http://127.0.0.1:1880' }, 'POST'), hosts), null);
  assert.equal(refusal(req({ host: '127.0.0.1:1880', origin: 'http://evil.example' }, 'POST'), hosts)?.status, 403);
  assert.equal(refusal(req({ host: '127.0.0.1:1880', origin: 'null' }, 'POST'), hosts)?.status, 403);
  assert.equal(refusal(req({ host: '127.0.0.1:1880', origin: 'http://127.0.0.1:9999' }, 'POST'), hosts)?.status, 403, 'another port is another origin');
  assert.equal(refusal(req({ host: '127.0.0.1:1880', 'access-control-request-method': 'POST' }, 'OPTIONS'), hosts)?.status, 403);
  assert.match(refusal(req({ host: 'rebind.example' }), hosts)?.text ?? '', /node-red-hosts/);
});

test('the generated login: made once (0600), kept; a file that cannot be read or is not a login is never written over', () => {
  const d = join(dir, 'a');
  const first = editorLogin(d);
  assert.equal(first.created, true);
  assert.equal(statSync(join(d, LOGIN_FILE)).mode & 0o777, 0o600);
  const again = editorLogin(d);
  assert.deepEqual({ ...again, created: true }, first);
  assert.equal(again.created, false);
  // loose permissions are tightened
  chmodSync(join(d, LOGIN_FILE), 0o644);
  editorLogin(d);
  assert.equal(statSync(join(d, LOGIN_FILE)).mode & 0o777, 0o600);
  // the user's own login wins and touches no file
  assert.deepEqual(editorLogin(join(dir, 'none'), { username: 'me', password: 'my password' }), {
    username: 'me',
    password: 'my password',
    source: 'options',
    file: null,
    created: false,
  });
  // corrupt: an error naming the file and the fix; the file stays as it was
  const bad = join(dir, 'bad');
  editorLogin(bad);
  writeFileSync(join(bad, LOGIN_FILE), '{"username": "admin"');
  assert.throws(() => editorLogin(bad), /node-red-login\.json is not a login .*delete it/);
  assert.equal(readFileSync(join(bad, LOGIN_FILE), 'utf8'), '{"username": "admin"');
  if (process.getuid?.() !== 0) {
    chmodSync(join(bad, LOGIN_FILE), 0o000);
    assert.throws(() => editorLogin(bad), /cannot read the Node-RED editor login .*EACCES/);
  }
  // the add-on without a login: ingress only; standalone: a login
  assert.deepEqual(editorAccessOptions({ addon: true, dataDir: join(dir, 'addon'), username: null, password: null, hosts: [] }), {
    ingressOnly: true,
    hosts: [],
  });
  assert.equal(editorAccessOptions({ addon: false, dataDir: join(dir, 'sa'), username: null, password: null, hosts: [] }).login?.source, 'generated');
  assert.equal(
    editorAccessOptions({ addon: true, dataDir: join(dir, 'addon'), username: 'me', password: 'my password', hosts: [] }).credentials?.username,
    'me',
  );
});

// a stand-in editor that answers with the headers it got
let echo: Server;
async function echoEditor(): Promise<number> {
  echo = createServer((r, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(JSON.stringify(r.headers)),
  );
  await new Promise<void>((ok) => echo.listen(0, '127.0.0.1', ok));
  return (echo.address() as AddressInfo).port;
}
after(() => echo?.close());

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string; acao: unknown }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, acao: res.headers['access-control-allow-origin'] }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('status port proxy: standalone checks Host and Origin; behind ingress (allow list) the Supervisor check stays the gate; Origin and CORS never pass', async () => {
  const target = await echoEditor();
  const status = { mode: 'practice' } as never;
  const standalone = new StatusServer({ port: 0, host: '127.0.0.1', status: () => status, nodeRed: { host: '127.0.0.1', port: target, hosts: ['hub.local'] } });
  const ingress = new StatusServer({
    port: 0,
    host: '127.0.0.1',
    allow: ['172.30.32.2', '127.0.0.1', '::1'],
    status: () => status,
    nodeRed: { host: '127.0.0.1', port: target },
  });
  await standalone.start();
  await ingress.start();
  try {
    const p = standalone.port;
    assert.equal((await get(p, '/node-red/flows', { host: 'evil.example' })).status, 403);
    assert.equal((await get(p, '/node-red/flows', { host: `127.0.0.1:${p}`, origin: 'http://evil.example' })).status, 403);
    const ok = await get(p, '/node-red/flows', { host: `hub.local:${p}`, origin: `http://hub.local:${p}` });
    assert.equal(ok.status, 200);
    const seen = JSON.parse(ok.body) as Record<string, string>;
    assert.equal(seen.host, `127.0.0.1:${target}`);
    assert.equal(seen.origin, undefined, 'the editor sees no cross-origin marker');
    assert.equal(ok.acao, undefined, 'no CORS grant passes the proxy');
    // HA ingress: the Supervisor's Host (the user's HA address) and Origin pass as before
    const i = ingress.port;
    const viaHa = await get(i, '/api/hassio_ingress/tok/node-red/flows', { host: 'homeassistant.local:8123', origin: 'http://homeassistant.local:8123' });
    assert.equal(viaHa.status, 200);
    assert.equal((JSON.parse(viaHa.body) as Record<string, string>).origin, undefined);
    assert.equal(viaHa.acao, undefined);
  } finally {
    await standalone.stop();
    await ingress.stop();
  }
});

// Issue 24 items 12 and 14, on a real hub with the embedded Node-RED on loopback:
// - DNS rebinding: the status server (page, /api/status, the worker page and its /worker/ws bridge)
//   answers only to this machine's names, loopback and names the user adds; a foreign Host is 403.
// - Headers: nosniff, framing by the same origin only, and a content policy on the page.
// - A 50 MB POST to node-red/flows is refused on its Content-Length before a byte is read, and a
//   chunked body is cut at the cap; the hub's memory barely moves (printed, not asserted).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startTestHub } from '../support/hub.js';
import type { Hub } from '../../src/app/hub.js';
import { EDITOR_MAX_BODY } from '../../src/app/status.js';

let hub: Hub;
let port = 0;
before(async () => {
  hub = await startTestHub({ nodeRed: true, args: ['--node-red-hosts', 'hub.example.net'] });
  port = hub.statusServer?.port ?? 0;
  assert.ok(port > 0);
});
after(() => hub?.stop());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(path: string, headers: Record<string, string> = {}, method = 'GET', body?: Buffer | null, chunked = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: 30_000 }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      // the server may close the connection after its 413 while we still send: the answer came first
      if ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET')
        resolve({ status: -1, headers: {}, body: String(err) });
      else reject(err);
    });
    if (body && chunked) {
      // a body without Content-Length, in 1 MiB chunks, as long as the server reads
      let i = 0;
      const next = () => {
        while (i < body.length) {
          const part = body.subarray(i, i + 1024 * 1024);
          i += part.length;
          if (!req.write(part)) {
            req.once('drain', next);
            return;
          }
        }
        req.end();
      };
      next();
    } else req.end(body ?? undefined);
  });
}

test('a foreign Host is refused on the page, its JSON, the worker page and the worker bridge (DNS rebinding)', async () => {
  for (const path of ['/', '/api/status', '/health', '/worker', '/node-red/']) {
    const bad = await http(path, { host: 'evil.example' });
    assert.equal(bad.status, 403, `${path} answered a foreign host`);
    assert.match(bad.body, /does not answer to the host name "evil\.example"/);
    assert.equal(bad.headers['x-content-type-options'], 'nosniff');
  }
  // this machine, loopback and a name the user added are answered
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `hub.example.net:${port}`]) {
    const ok = await http('/api/status', { host });
    assert.equal(ok.status, 200, host);
    assert.equal(typeof JSON.parse(ok.body).hashrate, 'number');
  }
  // the worker page's websocket bridge: a rebound page sends its own host and origin
  const answer = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        'GET /worker/ws HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (got += d));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.setTimeout(30_000, () => s.destroy(new Error('no answer')));
  });
  assert.match(answer, /^HTTP\/1\.1 403/);
});

test('the page carries a content policy and same-origin framing; the JSON nosniff', async () => {
  const page = await http('/', { host: `127.0.0.1:${port}` });
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy'] ?? '');
  assert.match(csp, /frame-ancestors 'self'/);
  assert.match(csp, /default-src 'self'/);
  assert.doesNotMatch(csp, /\*/);
  assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const json = await http('/api/status', { host: `127.0.0.1:${port}` });
  assert.equal(json.headers['x-content-type-options'], 'nosniff');
  assert.equal(json.headers['x-frame-options'], 'SAMEORIGIN');
});

test('a 50 MB POST to node-red/flows is refused on its Content-Length; a chunked one is cut at the cap', async () => {
  const rss0 = process.memoryUsage().rss;
  const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
  const t0 = performance.now();
  const declared = await http(
    '/node-red/flows',
    { host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': String(big.length) },
    'POST',
    big,
  );
  const ms = performance.now() - t0;
  // either the 413 arrived, or the server closed the connection after it while we still sent
  assert.ok(declared.status === 413 || declared.status === -1, `status ${declared.status}`);
  if (declared.status === 413) assert.match(declared.body, new RegExp(`at most ${EDITOR_MAX_BODY} bytes`));
  const chunked = await http(
    '/node-red/flows',
    { host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    'POST',
    big,
    true,
  );
  assert.ok(chunked.status === 413 || chunked.status === -1, `status ${chunked.status}`);
  // the hub still answers
  const ok = await http('/api/status', { host: `127.0.0.1:${port}` });
  assert.equal(ok.status, 200);
  const rss1 = process.memoryUsage().rss;
  console.log(
    `# 50 MB POST refused in ${ms.toFixed(0)} ms; RSS of the test process (hub and client) ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MiB (measured; includes the 50 MB client buffer)`,
  );
});

// The AxeOS client against the stand-in AxeOS server (no miner hardware here) over real HTTP on
// loopback: each firmware generation, a fork's strings, and every failure as a clear state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { AxeosClient, assertSafeSettings, normalizeAxeosUrl, retryDelay } from '../../src/axeos/index.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

const FAST = { timeoutMs: 1500, backoffMs: 20, maxBackoffMs: 100 };
const devices: AxeosStandIn[] = [];
async function standIn(o: ConstructorParameters<typeof AxeosStandIn>[0]): Promise<AxeosStandIn> {
  const s = await new AxeosStandIn(o).start();
  devices.push(s);
  return s;
}
after(async () => {
  for (const d of devices) await d.stop();
});

for (const gen of ['legacy', 'v2.9', 'v2.14'] as const) {
  test(`stand-in ${gen}: info, asic where present, pause only on v2.14, PATCH applied live`, async () => {
    const s = await standIn({ generation: gen });
    const c = new AxeosClient({ url: s.url, ...FAST });
    const info = await c.info();
    assert.ok(info.ok, JSON.stringify(info));
    assert.equal(info.value.frequency_mhz, 525);
    const asic = await c.asic();
    assert.ok(asic.ok);
    if (gen === 'legacy') assert.equal(asic.value, null, 'no /asic on old firmware: ok with null');
    else assert.deepEqual(asic.value!.frequencyOptions, [400, 490, 525, 550, 600, 625]);
    const p = await c.pause();
    if (gen === 'v2.14') {
      assert.ok(p.ok);
      assert.equal(s.paused, true);
      const r = await c.info();
      assert.ok(r.ok && r.value.paused === true && r.value.power_w! < 3);
      assert.ok((await c.resume()).ok);
      assert.equal(s.paused, false);
    } else {
      assert.equal(p.ok, false);
      assert.equal(!p.ok && p.state, 'not found');
    }
    assert.ok((await c.set({ frequency: 490 })).ok);
    const after490 = await c.info();
    assert.ok(after490.ok);
    assert.equal(after490.value.frequency_mhz, 490);
    assert.ok(after490.value.power_w! < info.value.power_w!, 'less power at a lower step');
    assert.deepEqual(s.patches.at(-1), { frequency: 490 });
    c.close();
  });
}

test('a fork’s strings over HTTP read as numbers; bestDiff "270M"', async () => {
  const s = await standIn({ generation: 'v2.14', fork: true });
  const r = await new AxeosClient({ url: s.url, ...FAST }).info();
  assert.ok(r.ok);
  assert.equal(r.value.best_difficulty, 270e6);
  assert.equal(r.value.temp_c! > 0, true);
});

let s: AxeosStandIn;
let c: AxeosClient;
before(async () => {
  s = await standIn({ generation: 'v2.14', host: '127.0.0.3' });
  c = new AxeosClient({ url: s.url, ...FAST, tries: 3, maxReplyBytes: 64 * 1024 });
});

test('401 (not a private address) is "refused", not retried', async () => {
  const strict = await standIn({ generation: 'v2.9', trustLoopback: false, host: '127.0.0.4' });
  const r = await new AxeosClient({ url: strict.url, ...FAST }).info();
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.state, 'refused');
  assert.equal(strict.requests.length, 1, 'one request: a refusal is an answer');
  const p = await new AxeosClient({ url: strict.url, ...FAST }).set({ frequency: 490 });
  assert.equal(!p.ok && p.state, 'refused');
  assert.equal(strict.frequency, 525, 'nothing changed');
});

test('404 is "not found"; 500 is "server error" after a bounded number of tries', async () => {
  s.failNext('status:404');
  const r = await c.info();
  assert.equal(!r.ok && r.state, 'not found');
  const before = s.requests.length;
  s.failNext('status:500', 10);
  const e = await c.info();
  assert.equal(!e.ok && e.state, 'server error');
  assert.equal(s.requests.length - before, 3, 'three tries, then the state');
  s.clearFaults();
});

test('a passing failure followed by an answer: the retry gets the reading', async () => {
  s.failNext('status:500', 2);
  const r = await c.info();
  assert.ok(r.ok, 'third try answers');
  s.clearFaults();
});

test('no reply in time is "timed out"; connection reset and refused are "unreachable"', async () => {
  const one = new AxeosClient({ url: s.url, timeoutMs: 300, tries: 1 });
  s.failNext('hang');
  const t = await one.info();
  assert.equal(!t.ok && t.state, 'timed out');
  s.clearFaults();
  s.failNext('reset');
  const x = await one.info();
  assert.equal(!x.ok && x.state, 'unreachable');
  // a port with nothing listening
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const u = await new AxeosClient({ url: `http://127.0.0.1:${port}`, tries: 2, backoffMs: 10 }).info();
  assert.equal(!u.ok && u.state, 'unreachable');
  assert.match(!u.ok ? u.detail : '', /refused/);
});

test('an oversized reply is cut at the cap: "bad reply"; garbage JSON and a non-AxeOS page too', async () => {
  s.failNext('oversize');
  const big = await c.info();
  assert.equal(!big.ok && big.state, 'bad reply');
  assert.match(!big.ok ? big.detail : '', /larger than 65536 bytes/);
  s.failNext('garbage');
  const g = await c.info();
  assert.equal(!g.ok && g.state, 'bad reply');
  s.failNext('not-axeos');
  const n = await c.info();
  assert.equal(!n.ok && n.state, 'bad reply');
  s.failNext('wrong-types');
  const w = await c.info();
  assert.ok(w.ok, 'wrong types in some fields: still a reading');
  assert.equal(w.value.temp_c, null);
  assert.equal(w.value.frequency_mhz, null);
  const after = await c.info();
  assert.ok(after.ok, 'and the next reading is whole again');
});

test('the client sends only frequency and coreVoltage: anything else throws before the wire', async () => {
  const n = s.patches.length;
  for (const bad of [{ hostname: 'x' }, { frequency: 490, stratumURL: 'evil' }, {}, { frequency: -1 }, { frequency: Number.NaN }, { coreVoltage: 70000 }]) {
    await assert.rejects(c.set(bad as never), /never sends|must be a number|no setting/);
    assert.throws(() => assertSafeSettings(bad as never));
  }
  assert.equal(s.patches.length, n, 'nothing reached the device');
  assert.ok((await c.set({ frequency: 490, coreVoltage: 1100 })).ok);
  assert.deepEqual(s.patches.at(-1), { frequency: 490, coreVoltage: 1100 });
});

test('the stand-in checks input as the firmware does: 400 for a bad value or bad JSON, unknown keys ignored', async () => {
  const patch = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(s.url);
      const q = http.request(
        { host: u.hostname, port: u.port, path: '/api/system', method: 'PATCH', headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      q.on('error', reject);
      q.end(body);
    });
  assert.equal(await patch('{"frequency": "fast"}'), 400);
  assert.equal(await patch('{"frequency": 0}'), 400);
  assert.equal(await patch('{not json'), 400);
  assert.equal(await patch('{"overheat_mode": 1}'), 400);
  assert.equal(await patch('{"somethingElse": 1}'), 200);
  assert.equal(await patch(JSON.stringify({ pad: 'x'.repeat(11000) })), 500);
});

test('configured URLs: http only, no credentials; back-off doubles and is bounded', () => {
  assert.deepEqual(normalizeAxeosUrl('192.168.1.50'), { ok: true, url: 'http://192.168.1.50' });
  assert.deepEqual(normalizeAxeosUrl('http://bitaxe.local:8080/'), { ok: true, url: 'http://bitaxe.local:8080' });
  assert.equal(normalizeAxeosUrl('https://x').ok, false);
  assert.equal(normalizeAxeosUrl('http://u:p@x').ok, false);
  assert.equal(normalizeAxeosUrl('http://x/?a=1').ok, false);
  assert.equal(normalizeAxeosUrl('ftp://x').ok, false);
  const mid = () => 0.5;
  assert.deepEqual(
    [1, 2, 3, 4, 10].map((a) => retryDelay(a, 500, 4000, mid)),
    [500, 1000, 2000, 4000, 4000],
  );
});

// The local endpoint on loopback, spoken to over real TCP as household miners speak it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashDifficulty, headerHash, assembleHeader } from '../../src/core/index.js';
import { StratumServer, type StratumServerOptions } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import { LinePeer, handshake, mineShares, until } from './helpers.js';

const D = 1e-6; // ~4,300 hashes a share: the test mines its own shares with the JS kernel

async function endpoint(extra: Partial<StratumServerOptions> = {}) {
  const practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
  const manager = new JobManager({ source: practice });
  await manager.start();
  const server = new StratumServer({
    backend: manager,
    port: 0,
    initialDifficulty: D,
    vardiff: { minDifficulty: 1e-9, burstShares: 100_000, retargetS: 3600 },
    ...extra,
  });
  await server.start();
  return { practice, manager, server, port: server.address().port, stop: async () => (await server.stop(), await manager.stop()) };
}

let ep: Awaited<ReturnType<typeof endpoint>>;
const peers: LinePeer[] = [];
async function peer(port = ep.port): Promise<LinePeer> {
  const p = await LinePeer.connect(port);
  peers.push(p);
  return p;
}

before(async () => {
  ep = await endpoint();
});
after(async () => {
  for (const p of peers) await p.close();
  await ep.stop();
});

test('subscribe gives each connection its own extranonce1; authorize brings set_difficulty then notify', async () => {
  const a = await peer();
  const b = await peer();
  const ha = await handshake(a, { user: 'alice.cpu' });
  const hb = await handshake(b, { user: 'bob.nerd' });
  const sub = a.msgs.find((m) => Array.isArray(m.result))!;
  assert.equal((sub.result as string[][][])[0][0][0], 'mining.set_difficulty');
  assert.equal(ha.extranonce1.length, 8);
  assert.equal(ha.extranonce2Size, 4);
  assert.notEqual(ha.extranonce1, hb.extranonce1);
  assert.equal(ha.extranonce1.slice(0, 4), hb.extranonce1.slice(0, 4), 'both carved from the same source extranonce1');
  const iDiff = a.msgs.findIndex((m) => m.method === 'mining.set_difficulty');
  const iJob = a.msgs.findIndex((m) => m.method === 'mining.notify');
  assert.ok(iDiff >= 0 && iDiff < iJob);
  assert.equal(ha.difficulty, D);
  assert.equal(ha.job.cleanJobs, true);
});

test('a valid share is accepted and counted for its worker only', async () => {
  const p = await peer();
  const h = await handshake(p, { user: 'carol.bitaxe', agent: 'bitaxe v2.2' });
  const [s] = mineShares(h.job, h.extranonce1, '00000001', D);
  const r = await p.call('mining.submit', ['carol.bitaxe', h.job.jobId, '00000001', h.job.ntime, s.nonce]);
  assert.deepEqual([r.result, r.error], [true, null]);
  const w = ep.manager.stats.worker('carol.bitaxe')!;
  assert.equal(w.accepted, 1);
  assert.equal(w.userAgent, 'bitaxe v2.2');
  assert.ok(w.bestDifficulty >= D);
  assert.equal(ep.manager.stats.worker('alice.cpu')?.accepted ?? 0, 0);
});

test('wire errors: not subscribed (25), unauthorized (24), extranonce2 size, ntime window (20), duplicate (22), low difficulty (23), stale (21)', async () => {
  const p = await peer();
  const r25 = await p.call('mining.submit', ['x', '1', '00000000', '00000000', '00000000']);
  assert.deepEqual(r25.error, [25, 'not subscribed', null]);
  await p.call('mining.subscribe', ['cpuminer/2.5.1']);
  const r24 = await p.call('mining.submit', ['x', '1', '00000000', '00000000', '00000000']);
  assert.deepEqual(r24.error, [24, 'unauthorized worker', null]);

  const q = await peer();
  const h = await handshake(q, { user: 'dave.cpu' });
  const other = await q.call('mining.submit', ['mallory', h.job.jobId, '00000000', h.job.ntime, '00000000']);
  assert.deepEqual(other.error, [24, 'unauthorized worker', null]);
  const size = await q.call('mining.submit', ['dave.cpu', h.job.jobId, '000000', h.job.ntime, '00000000']);
  assert.deepEqual(size.error, [20, 'incorrect size of extranonce2: expected 4 bytes', null]);
  const ntime = (parseInt(h.job.ntime, 16) + 7201).toString(16);
  const late = await q.call('mining.submit', ['dave.cpu', h.job.jobId, '00000000', ntime, '00000000']);
  assert.deepEqual(late.error, [20, 'ntime out of range', null]);

  const [s] = mineShares(h.job, h.extranonce1, '0000000a', D);
  assert.equal((await q.call('mining.submit', ['dave.cpu', h.job.jobId, '0000000a', h.job.ntime, s.nonce])).result, true);
  // NerdMiner drops leading zeros of the nonce: the same share is still a duplicate
  const dup = await q.call('mining.submit', ['dave.cpu', h.job.jobId, '0000000a', h.job.ntime, s.nonce.replace(/^0+/, '') || '0']);
  assert.deepEqual(dup.error, [22, 'duplicate share', null]);

  let low = 0;
  for (; ; low++) {
    const { header } = assembleHeader(h.job, { extranonce1: h.extranonce1, extranonce2: '0000000b', nonce: low });
    if (hashDifficulty(headerHash(header)) < D) break;
  }
  const r23 = await q.call('mining.submit', ['dave.cpu', h.job.jobId, '0000000b', h.job.ntime, low.toString(16)]);
  assert.equal((r23.error as unknown[])[0], 23);
  assert.match(String((r23.error as unknown[])[1]), /low difficulty share/);

  const unknown = await q.call('mining.submit', ['dave.cpu', 'ffffff', '00000000', h.job.ntime, '00000000']);
  assert.deepEqual(unknown.error, [21, 'job not found', null]);
  // a new practice block (clean_jobs) makes the old job stale
  const notified = q.wait((m) => m.method === 'mining.notify' && m.params?.[8] === true && m.params[0] !== h.job.jobId);
  ep.practice.next(true);
  await notified;
  const [s2] = mineShares(h.job, h.extranonce1, '0000000c', D);
  const stale = await q.call('mining.submit', ['dave.cpu', h.job.jobId, '0000000c', h.job.ntime, s2.nonce]);
  assert.deepEqual(stale.error, [21, 'stale job', null]);

  const w = ep.manager.stats.worker('dave.cpu')!;
  assert.equal(w.accepted, 1);
  assert.equal(w.duplicate, 1);
  assert.equal(w.lowDifficulty, 1);
  assert.equal(w.stale, 1, 'the made-up job id counts as invalid, not stale (issue 10 item 8)');
  assert.equal(w.rejected, 6, 'the share sent under another name is not counted for dave');
});

test('version rolling: configure answers the AND of the masks; rolled shares validate; bits outside the mask are refused', async () => {
  const p = await peer();
  const h = await handshake(p, { user: 'erin.bitaxe', configureMask: 'ffffffff' });
  assert.equal(h.versionMask, 0x1fffe000);
  const [s] = mineShares(h.job, h.extranonce1, '00000001', D, 1, { versionBits: '00002000', versionMask: 0x1fffe000 });
  const ok = await p.call('mining.submit', ['erin.bitaxe', h.job.jobId, '00000001', h.job.ntime, s.nonce, '00002000']);
  assert.equal(ok.result, true);
  const bad = await p.call('mining.submit', ['erin.bitaxe', h.job.jobId, '00000002', h.job.ntime, s.nonce, '00000001']);
  assert.deepEqual(bad.error, [20, 'version bits outside the negotiated mask', null]);
});

test('suggest_difficulty is honoured; the same suggestion again is a keepalive that changes nothing', async () => {
  const p = await peer();
  await p.call('mining.subscribe', ['NerdMinerV2']);
  await p.call('mining.authorize', ['frank.nerd', 'x']);
  const r = await p.call('mining.suggest_difficulty', [0.00015]);
  assert.equal(r.result, true);
  const sd = await p.wait((m) => m.method === 'mining.set_difficulty' && m.params?.[0] === 0.00015, 2000, 'set_difficulty 0.00015', true);
  assert.ok(sd);
  const before = p.msgs.filter((m) => m.method === 'mining.set_difficulty').length;
  await p.call('mining.suggest_difficulty', [0.00015]);
  await p.call('mining.suggest_difficulty', [0.00015]);
  assert.equal(p.msgs.filter((m) => m.method === 'mining.set_difficulty').length, before);
  assert.equal(ep.server.sessionsInfo().find((s) => s.worker === 'frank.nerd')?.difficulty, 0.00015);
});

test('vardiff: a miner flooding shares gets a higher difficulty and the job again', async () => {
  const v = await endpoint({ vardiff: { minDifficulty: 1e-9, burstShares: 16, targetIntervalS: 10 } });
  try {
    const p = await LinePeer.connect(v.port);
    const h = await handshake(p, { user: 'gina.cpu' });
    const shares = mineShares(h.job, h.extranonce1, '00000001', D, 16);
    const jobs = p.msgs.filter((m) => m.method === 'mining.notify').length;
    for (const s of shares) {
      const r = await p.call('mining.submit', ['gina.cpu', h.job.jobId, '00000001', h.job.ntime, s.nonce]);
      assert.equal(r.result, true);
    }
    const sd = await p.wait((m) => m.method === 'mining.set_difficulty' && Number(m.params?.[0]) > D, 2000, 'a raised difficulty', true);
    const nd = Number(sd.params![0]);
    assert.ok(nd > D * 2, `new difficulty ${nd}`);
    assert.ok(Number.isInteger(Math.log2(nd)), 'a power of two');
    await until(() => p.msgs.filter((m) => m.method === 'mining.notify').length > jobs, 2000, 'job resent');
    // a share at the old difficulty is still accepted during the grace period, and credited at the old one
    const [late] = mineShares(h.job, h.extranonce1, '00000002', D);
    const r = await p.call('mining.submit', ['gina.cpu', h.job.jobId, '00000002', h.job.ntime, late.nonce]);
    if (late.difficulty < nd) assert.equal(r.result, true);
    await p.close();
  } finally {
    await v.stop();
  }
});

test('hostile peers: long lines, garbage, unknown methods, floods, idle and handshake timeouts, connection cap, password', async () => {
  // line too long: an error, then the connection is closed
  const long = await peer();
  long.write(`{"id":1,"method":"mining.subscribe","params":["${'A'.repeat(9000)}"]}\n`);
  await long.closedP;
  assert.match(long.raw.join('\n'), /longer than 8192 bytes/);

  // JSON garbage: an error for each, closed after 10
  const junk = await peer();
  junk.write('not json\n');
  const e = await junk.wait((m) => m.error !== undefined && m.error !== null);
  assert.deepEqual((e.error as unknown[])[0], 20);
  for (let i = 0; i < 12; i++) junk.write('{{{\n');
  await junk.closedP;

  // unknown method: [20, ...] with its id
  const u = await peer();
  const r = await u.call('mining.frobnicate', []);
  assert.deepEqual(r.error, [20, 'unknown method mining.frobnicate', null]);

  // a flood: more lines at once than the burst allows
  const flood = await peer();
  flood.write('{"id":1,"method":"mining.ping","params":[]}\n'.repeat(700));
  await flood.closedP;
  assert.ok(flood.msgs.length < 700);

  // idle and handshake timeouts, a connection cap of 2, and a password
  const small = await endpoint({ idleTimeoutS: 1, handshakeTimeoutS: 1, maxConnections: 2, password: 's3cret' });
  try {
    const silent = await LinePeer.connect(small.port);
    const other = await LinePeer.connect(small.port);
    await other.call('mining.subscribe', ['x']);
    const second = await LinePeer.connect(small.port);
    await second.call('mining.subscribe', ['x']);
    const third = await LinePeer.connect(small.port);
    const refused = await third.call('mining.subscribe', ['x']); // over the cap of working miners
    await third.closedP;
    assert.deepEqual(refused.error, [20, 'too many miners connected (2, max_miners); try again later', null]);
    await second.close();
    const wrong = await other.call('mining.authorize', ['henry', 'guess']);
    assert.deepEqual(wrong.error, [24, 'wrong password for this endpoint', null]);
    const right = await other.call('mining.authorize', ['henry', 's3cret']);
    assert.equal(right.result, true);
    const t0 = performance.now();
    await silent.closedP;
    await other.closedP;
    const ms = performance.now() - t0;
    console.log(`# silent connections closed after ${ms.toFixed(0)} ms (idle/handshake timeout 1 s)`);
    assert.ok(ms < 5000);
  } finally {
    await small.stop();
  }
  // none of this touched an honest worker's totals
  assert.equal(ep.manager.stats.worker('carol.bitaxe')!.accepted, 1);
  assert.equal(ep.manager.stats.worker('carol.bitaxe')!.rejected, 0);
});

test('fuzz: malformed and random lines never crash the endpoint nor touch another worker', async () => {
  const honest = await peer();
  const h = await handshake(honest, { user: 'ivy.cpu' });
  const hexa = fc.string({ unit: fc.constantFrom(...'0123456789abcdefX'), maxLength: 12 });
  const methods = [
    'mining.subscribe',
    'mining.authorize',
    'mining.submit',
    'mining.configure',
    'mining.suggest_difficulty',
    'mining.extranonce.subscribe',
    'x',
  ];
  const line = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 3 }),
    fc
      .record({
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        method: fc.constantFrom(...methods),
        params: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 7 }),
      })
      .map((o) => JSON.stringify(o)),
    fc
      .record({ id: fc.integer(), method: fc.constant('mining.submit'), params: fc.tuple(fc.constant('fuzz'), hexa, hexa, hexa, hexa, hexa) })
      .map((o) => JSON.stringify(o)),
  );
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), async (lines) => {
      runs++;
      const p = await LinePeer.connect(ep.port);
      p.write(`{"id":1,"method":"mining.subscribe","params":[]}\n{"id":2,"method":"mining.authorize","params":["fuzz","x"]}\n`);
      p.write(`${lines.map((l) => l.replace(/\n/g, ' ')).join('\n')}\n`);
      p.write('{"id":999,"method":"mining.ping","params":[]}\n');
      await Promise.race([p.wait((m) => m.id === 999, 3000, 'ping reply'), p.closedP]).catch(() => {});
      await p.close();
    }),
    { numRuns: 60 },
  );
  assert.equal(runs, 60);
  // the endpoint still serves: the honest worker submits and is accepted, its totals its own
  const [s] = mineShares(h.job, h.extranonce1, '00000077', D);
  const r = await honest.call('mining.submit', ['ivy.cpu', h.job.jobId, '00000077', h.job.ntime, s.nonce]);
  assert.equal(r.result, true);
  const ivy = ep.manager.stats.worker('ivy.cpu')!;
  assert.deepEqual([ivy.accepted, ivy.rejected], [1, 0]);
  assert.ok(ep.server.connections >= 1);
});

test('stop() closes every connection and the listener', async () => {
  const e2 = await endpoint();
  const p = await LinePeer.connect(e2.port);
  await handshake(p, { user: 'jo' });
  await e2.stop();
  await p.closedP;
  assert.equal(e2.server.connections, 0);
  await assert.rejects(LinePeer.connect(e2.port));
});

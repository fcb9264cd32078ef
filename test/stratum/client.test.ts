// The upstream client against a loopback peer replaying the recorded Bitaxe/public-pool session.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import { difficultyToTarget, nbitsToTarget, parseU32Hex, type StratumJob } from '../../src/core/index.js';
import { StratumClient, StratumServer, parseNotify, type ConnectedInfo, type StratumClientOptions } from '../../src/stratum/index.js';
import { JobManager, UpstreamSource, validateShare } from '../../src/work/index.js';
import { BITAXE } from '../core/vectors.js';
import { LinePeer, handshake, mineShares, until } from './helpers.js';
import { ReplayPool } from './replay-pool.js';

const USER = 'tb1qumezefzdeqqwn5zfvgdrhxjzc5ylr39uhuxcz4.bitaxe3';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function pool(opts: ConstructorParameters<typeof ReplayPool>[0] = {}): Promise<ReplayPool> {
  const p = new ReplayPool(opts);
  await p.start();
  cleanups.push(() => p.stop());
  return p;
}

function client(o: Partial<StratumClientOptions> & { url: string }): StratumClient {
  const c = new StratumClient({ user: USER, password: 'x', backoffMinMs: 20, backoffMaxMs: 200, ...o });
  cleanups.push(() => c.stop());
  return c;
}

function collect(c: StratumClient) {
  const ev = { connected: [] as ConnectedInfo[], jobs: [] as StratumJob[], diffs: [] as number[], disconnected: 0 };
  c.on('connected', (i: ConnectedInfo) => ev.connected.push(i));
  c.on('job', (j: StratumJob) => ev.jobs.push(j));
  c.on('difficulty', (d: number) => ev.diffs.push(d));
  c.on('disconnected', () => ev.disconnected++);
  return ev;
}

test('replay: configure, subscribe, authorize; the recorded job, difficulty 512 and the Bitaxe share accepted (V3)', async () => {
  const p = await pool();
  const c = client({ url: `stratum+tcp://127.0.0.1:${p.port}`, versionRolling: 0xffffffff, userAgent: 'bitaxe v2.2' });
  const ev = collect(c);
  await c.start();
  await until(() => ev.jobs.length > 0, 5000, 'job');
  const info = ev.connected[0];
  assert.deepEqual([info.extranonce1, info.extranonce2Size, info.versionMask], ['57a6f098', 4, 0x1fffe000]);
  assert.equal(ev.diffs.at(-1), 512);
  assert.deepEqual({ ...ev.jobs[0], cleanJobs: false }, parseNotify([...BITAXE.notify]));
  const methods = p.requests.map((m) => m.method);
  assert.deepEqual(methods.slice(0, 3), ['mining.configure', 'mining.subscribe', 'mining.authorize']);
  assert.deepEqual(p.requests[1].params, ['bitaxe v2.2']);

  // the recorded share, validated by the hub against what the client negotiated
  const rec = {
    id: '1',
    job: ev.jobs[0],
    sourceJobId: '1',
    session: 1,
    ntime: parseU32Hex(ev.jobs[0].ntime, 'ntime'),
    networkTarget: nbitsToTarget(parseU32Hex(ev.jobs[0].nbits, 'nbits')),
    upstreamTarget: difficultyToTarget(ev.diffs.at(-1)!),
    createdAt: 0,
    seen: new Set<string>(),
  };
  const share = {
    extranonce1: info.extranonce1,
    extranonce2Size: info.extranonce2Size,
    ...BITAXE.submit,
    versionMask: info.versionMask,
    target: difficultyToTarget(512),
  };
  const { versionBits: _vb, ...ignored } = share;
  const lost = validateShare(rec, ignored);
  assert.equal(lost.ok ? 0 : lost.code, 23, 'version bits ignored: low difficulty');
  const v = validateShare(rec, share);
  assert.equal(v.ok && v.meetsUpstream, true);

  // and submitted upstream exactly as the Bitaxe did (six params)
  const out = await c.submit({ jobId: '1', ...BITAXE.submit });
  assert.equal(out.accepted, true);
  assert.deepEqual(p.submits[0], [USER, '1', 'c7080000', '64b3f3ec', 'ed460d91', '00002000']);
  p.onSubmit = () => ({ result: null, error: [23, 'Difficulty too low', null] });
  const no = await c.submit({ jobId: '1', ...BITAXE.submit });
  assert.deepEqual([no.accepted, no.code, no.message], [false, 23, 'Difficulty too low']);
  p.onSubmit = () => ({ result: false, error: 'Stale' });
  const stale = await c.submit({ jobId: '1', ...BITAXE.submit });
  assert.deepEqual([stale.accepted, stale.code], [false, 21]);
  await c.stop();
});

test('a pool without mining.configure: no version rolling, five-param submits', async () => {
  const p = await pool({ configure: false });
  const c = client({ url: `stratum+tcp://127.0.0.1:${p.port}` });
  const ev = collect(c);
  await c.start();
  await until(() => ev.connected.length > 0, 5000);
  assert.equal(ev.connected[0].versionMask, 0);
  await c.submit({ jobId: '1', ...BITAXE.submit });
  assert.equal(p.submits[0].length, 5);
  await c.stop();
});

test('client.reconnect: a port given as a string, and no params at all', async () => {
  const a = await pool();
  const b = await pool();
  const c = client({ url: `stratum+tcp://127.0.0.1:${a.port}` });
  const ev = collect(c);
  await c.start();
  await until(() => ev.connected.length === 1, 5000);
  a.broadcast({ id: null, method: 'client.reconnect', params: ['127.0.0.1', String(b.port), 0] });
  await until(() => ev.connected.length === 2, 5000, 'reconnected to b');
  assert.equal(b.peers.length, 1);
  // no params: the configured pool again
  b.broadcast({ id: null, method: 'client.reconnect', params: [] });
  await until(() => ev.connected.length === 3, 5000, 'reconnected to a');
  assert.equal(a.peers.length, 2);
  // another host is not followed by default
  a.broadcast({ id: null, method: 'client.reconnect', params: ['evil.example', 3333, 0] });
  await until(() => ev.connected.length === 4, 5000, 'reconnected, still to a');
  assert.equal(a.peers.length, 3);
  assert.equal(ev.disconnected, 3);
  await c.stop();
});

test('backoff and failover: a dead primary gives way to the fallback pool; a dropped connection comes back', async () => {
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const deadPort = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const fb = await pool();
  const c = client({ url: `stratum+tcp://127.0.0.1:${deadPort}`, fallbackUrl: `stratum+tcp://127.0.0.1:${fb.port}`, failoverAfter: 2 });
  const ev = collect(c);
  await c.start();
  await until(() => ev.connected.length === 1, 5000, 'connected to the fallback');
  assert.equal(ev.connected[0].fallback, true);
  // the fallback drops us: the client reconnects by itself
  fb.peers[0].socket.destroy();
  await until(() => ev.connected.length === 2, 5000, 'reconnected');
  assert.equal(ev.disconnected, 1);
  assert.equal(ev.connected[1].session, 2);
  await c.stop();
});

test('TLS (stratum+ssl): trusted with the pool CA, refused without it', async () => {
  const fx = new URL('./fixtures/', import.meta.url);
  const cert = readFileSync(new URL('test-pool.crt', fx));
  const key = readFileSync(new URL('test-pool.key', fx));
  const p = await pool({ tls: { key, cert } });
  const c = client({ url: `stratum+ssl://127.0.0.1:${p.port}`, tls: { ca: cert } });
  const ev = collect(c);
  await c.start();
  await until(() => ev.jobs.length > 0, 5000, 'job over TLS');
  assert.equal(ev.connected[0].url, `stratum+ssl://127.0.0.1:${p.port}`);
  await c.stop();
  const untrusted = client({ url: `stratum+ssl://127.0.0.1:${p.port}`, backoffMinMs: 50 });
  const warnings: string[] = [];
  untrusted.on('warning', (e: Error) => warnings.push(e.message));
  const ev2 = collect(untrusted);
  await untrusted.start();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(ev2.connected.length, 0, 'a self-signed pool is not trusted without its CA');
  await untrusted.stop();
});

test('fuzz: malformed lines from a pool never crash the client; a good notify still gets through', async () => {
  const p = await pool();
  const c = client({ url: `stratum+tcp://127.0.0.1:${p.port}` });
  const ev = collect(c);
  await c.start();
  await until(() => ev.jobs.length === 1, 5000);
  const methods = ['mining.notify', 'mining.set_difficulty', 'mining.set_extranonce', 'mining.set_version_mask', 'client.reconnect', 'mining.ping', 'x'];
  const line = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.json({ maxDepth: 3 }),
    fc
      .record({
        id: fc.oneof(fc.integer(), fc.constant(null)),
        method: fc.constantFrom(...methods.filter((m) => m !== 'client.reconnect')),
        params: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 10 }),
      })
      .map((o) => JSON.stringify(o)),
    fc.record({ id: fc.integer(), result: fc.jsonValue({ maxDepth: 2 }), error: fc.jsonValue({ maxDepth: 2 }) }).map((o) => JSON.stringify(o)),
  );
  const sample = fc.sample(fc.array(line, { maxLength: 20 }), { numRuns: 40, seed: 42 });
  for (const lines of sample) p.broadcast(`${lines.map((l) => l.replace(/\n/g, ' ')).join('\n')}\n`);
  // A fuzzed line may make the client drop the connection and come back (a protocol error): the
  // good notify is sent again until it arrives, over whichever connection is up (bounded: 120 tries).
  let seen = false;
  for (let i = 0; i < 120 && !seen; i++) {
    p.notify(true, 'after-fuzz');
    seen = await until(() => ev.jobs.some((j) => j.jobId === 'after-fuzz'), 500, 'the notify after the fuzz').then(
      () => true,
      () => false,
    );
  }
  assert.ok(seen, 'the notify after the fuzz arrived');
  await c.stop();
});

test('proxy: a household miner on the hub endpoint; its share is re-validated and sent upstream with the right extranonce2', async () => {
  const p = await pool({ difficulty: 1e-6 });
  const source = new UpstreamSource({ url: `stratum+tcp://127.0.0.1:${p.port}`, user: USER, backoffMinMs: 20 });
  const manager = new JobManager({ source });
  await manager.start();
  const server = new StratumServer({ backend: manager, port: 0, initialDifficulty: 1e-6, vardiff: { minDifficulty: 1e-9, burstShares: 1000 } });
  cleanups.push(async () => (await server.stop(), await manager.stop()));
  await until(() => manager.currentJob() !== null, 5000, 'upstream job');
  await server.start();
  const m = await LinePeer.connect(server.address().port);
  cleanups.push(() => m.close());
  const h = await handshake(m, { user: 'nerd1', configureMask: 'ffffffff' });
  assert.equal(h.extranonce1.slice(0, 8), '57a6f098', "the pool's extranonce1, then the slot prefix");
  assert.equal(h.extranonce2Size, 2);
  assert.equal(h.versionMask, 0x1fffe000);
  const [s] = mineShares(h.job, h.extranonce1, 'beef', 1e-6, 1, { versionBits: '00004000', versionMask: 0x1fffe000 });
  const r = await m.call('mining.submit', ['nerd1', h.job.jobId, 'beef', h.job.ntime, s.nonce, '00004000']);
  assert.equal(r.result, true);
  await until(() => p.submits.length === 1, 5000, 'upstream submit');
  const up = p.submits[0] as string[];
  assert.equal(up[1], '1', "the pool's job id");
  assert.equal(up[2], `${h.extranonce1.slice(8)}beef`, 'slot prefix + the miner extranonce2');
  // the pool's own check: the forwarded share is valid for the job with the pool's extranonce1
  const job = parseNotify([...BITAXE.notify]);
  const v = validateShare(
    {
      id: '1',
      job,
      sourceJobId: '1',
      session: 1,
      ntime: parseU32Hex(job.ntime, 'n'),
      networkTarget: 0n,
      upstreamTarget: difficultyToTarget(1e-6),
      createdAt: 0,
      seen: new Set(),
    },
    {
      extranonce1: '57a6f098',
      extranonce2: up[2],
      extranonce2Size: 4,
      ntime: up[3],
      nonce: up[4],
      versionBits: up[5],
      versionMask: 0x1fffe000,
      target: difficultyToTarget(1e-6),
    },
  );
  assert.equal(v.ok, true);
  await until(() => manager.stats.worker('nerd1')?.upstreamAccepted === 1, 5000, 'upstream result counted');
  // set_extranonce upstream: the miner, not subscribed to extranonce changes, is asked to reconnect
  p.broadcast({ id: null, method: 'mining.set_extranonce', params: ['a1b2c3d4', 4] });
  await m.closedP;
  assert.ok(m.msgs.some((x) => x.method === 'client.reconnect'));
});

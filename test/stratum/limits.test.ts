// Admission and rate-limited warnings, the pure parts (issue 10, item 3), and the per-address
// limit over real TCP from two loopback addresses.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Admission, RateLimitedLog, StratumServer, addressKey } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import { LinePeer, until } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

test('address keys: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  assert.equal(addressKey('192.168.1.20'), '192.168.1.20');
  assert.equal(addressKey('::ffff:192.168.1.20'), '192.168.1.20');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64', 'one /64, one source');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('admission: pending capped per address and in total, miners apart (in total and per address); counts go back to zero', () => {
  const a = new Admission({ maxMiners: 2, maxPending: 3, maxPendingPerAddress: 2, maxMinersPerAddress: 1 });
  const k1 = a.open('10.0.0.1');
  const k2 = a.open('10.0.0.1');
  assert.ok(k1.ok && k2.ok);
  assert.deepEqual(a.open('10.0.0.1'), { ok: false, why: 'address' });
  const k3 = a.open('10.0.0.2');
  assert.ok(k3.ok);
  assert.deepEqual(a.open('10.0.0.3'), { ok: false, why: 'pending' });
  // subscribing moves a socket from pending to miners
  assert.deepEqual(a.promote(k1.ok ? k1.key : ''), { ok: true });
  assert.deepEqual(a.promote(k2.ok ? k2.key : ''), { ok: false, why: 'address' }, 'one miner per address here');
  assert.deepEqual(a.promote(k3.ok ? k3.key : ''), { ok: true });
  const k4 = a.open('10.0.0.4');
  assert.deepEqual(a.promote(k4.ok ? k4.key : ''), { ok: false, why: 'miners' }, "the miners' cap");
  assert.equal(a.pending, 2);
  a.release('10.0.0.1');
  a.release('10.0.0.4');
  a.minerGone('10.0.0.1');
  a.minerGone('10.0.0.2');
  assert.deepEqual([a.pending, a.miners, a.addresses, a.minerAddresses], [0, 0, 0, 0]);
});

test('rate-limited warnings: the first at once, the rest summed up per window with a count', () => {
  const lines: { msg: string; repeated?: number }[] = [];
  const stream = new Writable({
    write: (c, _e, cb) => (
      String(c)
        .split('\n')
        .filter(Boolean)
        .forEach((l) => {
          lines.push(JSON.parse(l));
        }),
      cb()
    ),
  });
  let now = 0;
  const r = new RateLimitedLog(pino(stream), 10_000, () => now);
  for (let i = 0; i < 1235; i++) r.warn('k', { address: '10.0.0.1' }, 'refused a connection');
  assert.equal(lines.length, 1);
  now = 5000;
  r.flush();
  assert.equal(lines.length, 1, 'nothing before the window ends');
  now = 10_000;
  r.flush();
  assert.equal(lines.length, 2);
  assert.equal(lines[1].msg, 'refused a connection (1,234 more in 10 s)');
  assert.equal(lines[1].repeated, 1234);
  // a quiet window is forgotten: the next occurrence is written at once again
  now = 20_000;
  r.flush();
  assert.equal(r.open, 0);
  r.warn('k', {}, 'refused a connection');
  assert.equal(lines.length, 3);
  assert.equal(lines[2].msg, 'refused a connection');
});

test('over TCP: the ninth silent socket from 127.0.0.1 is refused at once, one from 127.0.0.2 is not; all go after the subscribe timeout', async () => {
  const manager = new JobManager({ source: new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 }) });
  await manager.start();
  cleanup.push(() => manager.stop());
  const server = new StratumServer({ backend: manager, port: 0, subscribeTimeoutS: 3, logger: pino({ level: 'silent' }) });
  await server.start();
  cleanup.push(() => server.stop());
  const port = server.address().port;
  const open = (localAddress: string) =>
    new Promise<LinePeer>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(LinePeer.wrap(s)));
      s.once('error', reject);
    });
  const held: LinePeer[] = [];
  for (let i = 0; i < 8; i++) held.push(await open('127.0.0.1'));
  await new Promise((r) => setTimeout(r, 0));
  const ninth = await open('127.0.0.1');
  await ninth.closedP;
  assert.equal(ninth.raw.length, 0, 'refused without a word');
  const other = await open('127.0.0.2');
  const sub = await other.call('mining.subscribe', ['x']);
  assert.ok(Array.isArray(sub.result), 'another address subscribes');
  assert.deepEqual(server.load, { pending: 8, miners: 1, addresses: 1 });
  const t0 = performance.now();
  await Promise.all(held.map((p) => p.closedP));
  console.log(`# 8 silent sockets closed ${(performance.now() - t0).toFixed(0)} ms after the 9th was refused (subscribe timeout 3 s)`);
  assert.deepEqual(server.load, { pending: 0, miners: 1, addresses: 0 });
  await other.close();
});

test('every slot for silent sockets taken: the oldest silent socket makes room, so a miner that subscribes gets in', async () => {
  const manager = new JobManager({ source: new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 }) });
  await manager.start();
  cleanup.push(() => manager.stop());
  const server = new StratumServer({ backend: manager, port: 0, maxPending: 4, maxPendingPerAddress: 8, logger: pino({ level: 'silent' }) });
  await server.start();
  cleanup.push(() => server.stop());
  const port = server.address().port;
  const open = (localAddress: string) =>
    new Promise<LinePeer>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(LinePeer.wrap(s)));
      s.once('error', reject);
    });
  const silent: LinePeer[] = [];
  for (let i = 0; i < 4; i++) silent.push(await open('127.0.0.1'));
  const miner = await open('127.0.0.2');
  cleanup.push(() => miner.close());
  const sub = await miner.call('mining.subscribe', ['x']);
  assert.ok(Array.isArray(sub.result), 'the miner subscribed');
  await silent[0].closedP;
  assert.deepEqual(
    silent.map((p) => p.closed),
    [true, false, false, false],
    'the oldest silent socket made room',
  );
  assert.deepEqual(server.load, { pending: 3, miners: 1, addresses: 1 });
  for (const p of silent) await p.close();
});

test('working miners are capped per address too: a third from 127.0.0.1 is refused at subscribe, one from 127.0.0.2 is not', async () => {
  const manager = new JobManager({ source: new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 }) });
  await manager.start();
  cleanup.push(() => manager.stop());
  const server = new StratumServer({ backend: manager, port: 0, maxMinersPerAddress: 2, logger: pino({ level: 'silent' }) });
  await server.start();
  cleanup.push(() => server.stop());
  const port = server.address().port;
  const open = (localAddress: string) =>
    new Promise<LinePeer>((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(LinePeer.wrap(s)));
      s.once('error', reject);
    });
  const peers: LinePeer[] = [];
  for (let i = 0; i < 2; i++) {
    const p = await open('127.0.0.1');
    peers.push(p);
    assert.ok(Array.isArray((await p.call('mining.subscribe', ['x'])).result));
  }
  const third = await open('127.0.0.1');
  const refused = await third.call('mining.subscribe', ['x']);
  assert.deepEqual(refused.error, [20, 'too many miners from your address (2); try again later', null]);
  await third.closedP;
  const other = await open('127.0.0.2');
  peers.push(other);
  assert.ok(Array.isArray((await other.call('mining.subscribe', ['x'])).result));
  // one leaves: its address may bring another
  await peers[0].close();
  await until(() => server.load.miners === 2, 5000, 'the endpoint saw it leave');
  const again = await open('127.0.0.1');
  peers.push(again);
  const r = await again.call('mining.subscribe', ['x']);
  assert.ok(Array.isArray(r.result), JSON.stringify(r.error));
  for (const p of peers) await p.close();
});

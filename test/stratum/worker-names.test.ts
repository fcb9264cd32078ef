// Worker names on the local endpoint (issue 10, item 2): variants of one name are one worker, a
// hard cap on distinct names refuses new ones at authorize with a clear Stratum error and one
// log line, and a name counts as a device only once it has an accepted share.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { StratumServer } from '../../src/stratum/index.js';
import { normalizeWorkerName } from '../../src/stratum/names.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import { LinePeer, handshake, mineShares, type Msg } from './helpers.js';

const D = 1e-6;
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

test('names: case, white space, NFKC, invisible characters and address.worker give one name; bounded; bad names refused', () => {
  const n = (s: unknown) => {
    const r = normalizeWorkerName(s);
    return r.ok ? r.name : `!${r.reason}`;
  };
  for (const v of [
    'Kitchen Rig',
    '  kitchen   rig ',
    'KITCHEN\tRIG',
    'ｋｉｔｃｈｅｎ rig',
    'kitchen\u200b rig',
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.Kitchen Rig',
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2.kitchen rig',
  ]) {
    assert.equal(n(v), 'kitchen rig', JSON.stringify(v));
  }
  assert.equal(n('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'), 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'an address alone is the name');
  assert.equal(n('bitaxe.kitchen'), 'bitaxe.kitchen', 'a dot that does not follow an address stays');
  assert.equal(n('a'.repeat(200)).length, 64, 'at most 64 characters');
  assert.match(n(''), /^!worker name must be a non-empty string/);
  assert.match(n(' \u200b\u00a0 '), /^!worker name is empty/);
  assert.match(n('x'.repeat(300)), /^!worker name must be at most 256 characters/);
  assert.match(n(42), /^!worker name must be a non-empty string/);
  assert.match(n('HUB'), /reserved/);
});

test('one connection authorizing 300 names: 0 devices until shares, the cap (32) refuses the rest with a clear error and one log line', async () => {
  const practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
  const manager = new JobManager({ source: practice });
  await manager.start();
  cleanup.push(() => manager.stop());
  const log = capture();
  const server = new StratumServer({
    backend: manager,
    port: 0,
    initialDifficulty: D,
    vardiff: { minDifficulty: 1e-9, burstShares: 100_000, retargetS: 3600 },
    logger: log.logger,
  });
  await server.start();
  cleanup.push(() => server.stop());
  const peer = await LinePeer.connect(server.address().port);
  cleanup.push(() => peer.close());
  const h = await handshake(peer, { user: 'rig-0' });
  const replies: Msg[] = await Promise.all(Array.from({ length: 300 }, (_, i) => peer.call('mining.authorize', [`rig-${i}`, 'x'])));
  const ok = replies.filter((r) => r.result === true).length;
  const refused = replies.filter((r) => r.result !== true);
  console.log(`# 300 names on one connection: ${ok} authorized, ${refused.length} refused`);
  assert.equal(ok, 32);
  assert.equal(refused.length, 268);
  for (const r of refused) {
    assert.equal((r.error as unknown[])[0], 24);
    assert.match(String((r.error as unknown[])[1]), /worker limit reached: 32 worker names are in use.*max_worker_devices/);
  }
  const capLines = log.lines.filter((l) => /worker name/.test(String(l.msg)));
  assert.equal(capLines.length, 1, `one log line for the refusals, got: ${capLines.map((l) => l.msg).join(' | ')}`);
  // variants of an authorized name are that name (not a new one, so not refused at the cap)
  for (const v of ['RIG-5', '  rig-5 ', 'ｒｉｇ-5', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.rig-5']) {
    assert.equal((await peer.call('mining.authorize', [v, 'x'])).result, true, v);
  }
  // no share yet: no name has a device
  assert.equal(server.workerNames.devices, 0);
  assert.equal(manager.stats.snapshot().filter((w) => w.accepted > 0).length, 0);
  // a share under each authorized name (one of them as a variant) gives it its device; a refused name's share is refused
  for (let i = 0; i < 32; i++) {
    const en2 = (i + 1).toString(16).padStart(8, '0');
    const [s] = mineShares(h.job, h.extranonce1, en2, D);
    const name = i === 5 ? ' RIG-5' : `rig-${i}`;
    const r = await peer.call('mining.submit', [name, h.job.jobId, en2, h.job.ntime, s.nonce]);
    assert.equal(r.result, true, `share of ${name}: ${JSON.stringify(r.error)}`);
  }
  const [s] = mineShares(h.job, h.extranonce1, '000000ff', D);
  const r = await peer.call('mining.submit', ['rig-100', h.job.jobId, '000000ff', h.job.ntime, s.nonce]);
  assert.deepEqual(r.error, [24, 'unauthorized worker', null]);
  assert.equal(server.workerNames.devices, 32);
  const credited = manager.stats.snapshot().filter((w) => w.accepted > 0);
  assert.equal(credited.length, 32);
  assert.ok(
    credited.every((w) => /^rig-\d+$/.test(w.name)),
    'canonical names in the statistics',
  );
  // a second connection cannot add a name either, but may use one that has a device
  const other = await LinePeer.connect(server.address().port);
  cleanup.push(() => other.close());
  await other.call('mining.subscribe', ['x']);
  assert.equal((await other.call('mining.authorize', ['newcomer', 'x'])).result ?? null, null);
  assert.equal((await other.call('mining.authorize', ['Rig-7', 'x'])).result, true);
});

test('a name that never had a share is freed when its connection closes', async () => {
  const practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
  const manager = new JobManager({ source: practice });
  await manager.start();
  cleanup.push(() => manager.stop());
  const server = new StratumServer({ backend: manager, port: 0, initialDifficulty: D, maxWorkerNames: 2, logger: capture().logger });
  await server.start();
  cleanup.push(() => server.stop());
  const a = await LinePeer.connect(server.address().port);
  await handshake(a, { user: 'one' });
  assert.equal((await a.call('mining.authorize', ['two', 'x'])).result, true);
  const b = await LinePeer.connect(server.address().port);
  cleanup.push(() => b.close());
  await b.call('mining.subscribe', ['x']);
  assert.notEqual((await b.call('mining.authorize', ['three', 'x'])).result, true);
  await a.close();
  const deadline = Date.now() + 5000;
  while (server.workerNames.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal((await b.call('mining.authorize', ['three', 'x'])).result, true);
});

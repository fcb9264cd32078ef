// The AxeOS part end to end on loopback: stand-in AxeOS servers (no miner hardware here) that
// really mine on the project's own Stratum endpoint from their own loopback address, linked by
// that connection address; steering spied on through the PATCH bodies the stand-in received.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { StratumServer } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import { AxeosPart, type AxeosPartOptions } from '../../src/axeos/index.js';
import { AxeosStandIn, type StandInOptions } from '../support/axeos-standin.js';

const LIMIT = 20_000;
let practice: PracticeSource;
let manager: JobManager;
let server: StratumServer;
let stratumPort: number;
const devices: AxeosStandIn[] = [];
const parts: AxeosPart[] = [];

before(async () => {
  practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
  manager = new JobManager({ source: practice });
  await manager.start();
  server = new StratumServer({
    backend: manager,
    port: 0,
    host: '127.0.0.1',
    initialDifficulty: 1e-6,
    vardiff: { minDifficulty: 1e-9, burstShares: 100_000, retargetS: 3600 },
  });
  await server.start();
  stratumPort = server.address().port;
});
after(async () => {
  for (const p of parts) await p.stop();
  for (const d of devices) await d.stop();
  await server.stop();
  await manager.stop();
});

async function device(o: StandInOptions): Promise<AxeosStandIn> {
  const d = await new AxeosStandIn(o).start();
  devices.push(d);
  return d;
}

function part(o: AxeosPartOptions = {}): AxeosPart {
  const p = new AxeosPart({
    allowLoopback: true,
    probeBackoffMs: 50,
    pollIntervalMs: 1000,
    minChangeIntervalMs: 0,
    client: { timeoutMs: 2000, backoffMs: 50 },
    ...o,
  });
  parts.push(p);
  return p;
}

function next<T = Record<string, unknown>>(em: EventEmitter, event: string, pred: (e: T) => boolean = () => true, ms = LIMIT): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      em.off(event, on);
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const on = (e: T) => {
      if (!pred(e)) return;
      clearTimeout(t);
      em.off(event, on);
      resolve(e);
    };
    em.on(event, on);
  });
}

async function until(cond: () => boolean, what: string, ms = LIMIT): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The endpoint's session of this worker, once it authorized (its address is the connection's). */
async function session(worker: string) {
  let s: ReturnType<StratumServer['sessionsInfo']>[number] | undefined;
  await until(() => {
    s = server.sessionsInfo().find((x) => x.worker === worker);
    return s !== undefined;
  }, `${worker} on the endpoint`);
  return s!;
}

/** Every PATCH a hub sent: only frequency/coreVoltage, each from the device's lists (or the user's own). */
function assertOnlyListed(d: AxeosStandIn, user: { frequency: number; coreVoltage: number }): void {
  for (const p of d.patches) {
    for (const k of Object.keys(p)) assert.ok(k === 'frequency' || k === 'coreVoltage', `the hub sent ${k}`);
    if ('frequency' in p) assert.ok(d.asic.f.includes(p.frequency as number) || p.frequency === user.frequency, `frequency ${p.frequency}`);
    if ('coreVoltage' in p) assert.ok(d.asic.v.includes(p.coreVoltage as number) || p.coreVoltage === user.coreVoltage, `coreVoltage ${p.coreVoltage}`);
  }
  for (const r of d.requests)
    assert.ok(
      r.method === 'GET' || (r.method === 'PATCH' && r.path === '/api/system') || (r.method === 'POST' && /^\/api\/system\/(pause|resume)$/.test(r.path)),
      `${r.method} ${r.path}`,
    );
}

test('a stand-in Bitaxe mining on the endpoint from 127.0.0.2 is linked by its connection address (MAC and hostname checked)', async (t) => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.2', mac: 'AA:BB:CC:00:00:02', hostname: 'bitaxe-kitchen' });
  await d.mine({ port: stratumPort, user: 'kitchen-bitaxe' });
  const s = await session('kitchen-bitaxe');
  assert.equal(s.address.replace(/^::ffff:/, ''), '127.0.0.2', 'the connection comes from the stand-in’s own address');
  await until(() => d.accepted > 0, 'an accepted share from the stand-in');
  const p = part({ probePort: d.port });
  await p.start();
  const linked = next(p, 'linked');
  const reading = next<{ worker: string; reading: { power_w: number } }>(p, 'reading');
  p.minerConnected({ worker: 'kitchen-bitaxe', address: s.address, mac: 'aa:bb:cc:00:00:02', hostname: 'bitaxe-kitchen.local' });
  const l = await linked;
  assert.equal(l.worker, 'kitchen-bitaxe');
  assert.equal(l.via, 'address');
  assert.deepEqual(l.by, ['address', 'mac', 'hostname']);
  assert.equal(l.canPause, true);
  assert.deepEqual(l.frequencyOptions, [400, 490, 525, 550, 600, 625]);
  assert.ok((await reading).reading.power_w > 10);
  const st = p.status('kitchen-bitaxe')!;
  assert.equal(st.state, 'ok');
  assert.equal(st.firmware, 'v2.14.0');
  assert.deepEqual(st.user, { frequency: 525, coreVoltage: 1150 });
  // the live feed (v2.14) brings readings between polls
  await until(() => d.requests.length > 0 && (d as unknown as { lastLive: Map<unknown, unknown> }).lastLive.size > 0, 'a live feed client');
  await p.minerGone({ worker: 'kitchen-bitaxe' });
  assert.equal(p.status('kitchen-bitaxe'), null);
  assertOnlyListed(d, { frequency: 525, coreVoltage: 1150 });
  assert.equal(d.patches.length, 0, 'not steered: nothing changed');
  t.diagnostic(`stand-in shares accepted by the endpoint: ${d.accepted}; info reply ${JSON.stringify(d.info()).length} bytes (cap 262144)`);
});

test('nothing is probed that did not connect from a private address (or is not configured); a plain miner stays plain', async () => {
  const d = await device({ generation: 'v2.9', host: '127.0.0.5' });
  const strict = part({ probePort: d.port, allowLoopback: false });
  await strict.start();
  strict.minerConnected({ worker: 'a', address: '127.0.0.5' });
  strict.minerConnected({ worker: 'b', address: '8.8.8.8' });
  strict.minerConnected({ worker: 'c', address: '169.254.1.1' });
  strict.minerConnected({ worker: 'd', address: '::ffff:100.64.0.1' });
  // the decision is synchronous: a probe would be in flight now
  assert.equal(
    (strict as unknown as { probing: Map<string, unknown> }).probing.size,
    0,
    'loopback without the test option, public, link-local, CGNAT: never probed',
  );
  assert.equal(d.requests.length, 0);
  // an address with no AxeOS: a few tries, then a plain miner
  const free = await device({ generation: 'v2.9', host: '127.0.0.6' });
  const port = free.port;
  await free.stop();
  const p = part({ probePort: port, probeTries: 3 });
  await p.start();
  p.minerConnected({ worker: 'cpuminer', address: '127.0.0.6' });
  await until(() => !(p as unknown as { probing: Map<string, unknown> }).probing.has('cpuminer'), 'the probe to give up');
  assert.equal(p.status('cpuminer'), null);
});

test('an AxeOS at the address that is another device (MAC differs) is not linked', async () => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.7', mac: 'AA:BB:CC:00:00:07' });
  const p = part({ probePort: d.port });
  await p.start();
  const st = next<{ state: string; detail: string }>(p, 'state');
  p.minerConnected({ worker: 'other', address: '127.0.0.7', mac: '11:22:33:44:55:66' });
  const e = await st;
  assert.equal(e.state, 'not linked');
  assert.match(e.detail, /MAC differs/);
  assert.equal(p.status('other'), null);
});

test('steering v2.14: the budget steps the frequency down through listed options, pauses below the lowest, and the user’s settings come back on stop', async () => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.8' });
  await d.mine({ port: stratumPort, user: 'office-bitaxe' });
  const s = await session('office-bitaxe');
  const p = part({ probePort: d.port, steerByDefault: true });
  await p.start();
  const linked = next(p, 'linked');
  p.minerConnected({ worker: 'office-bitaxe', address: s.address });
  await linked;
  await until(() => p.steps('office-bitaxe').length > 0, 'steps from a reading');
  const st = p.steps('office-bitaxe');
  assert.deepEqual(
    st.map((x) => x.frequency_mhz),
    [0, 400, 490, 525],
  );
  assert.ok(st.every((x) => x.source === 'estimated'));
  const pr = p.powerReading('office-bitaxe')!;
  assert.deepEqual([pr.frequencyOptions, pr.userFrequency, pr.frequency, pr.overheat], [[400, 490, 525, 550, 600, 625], 525, 525, false]);
  assert.ok(pr.power > 10 && pr.hashrate > 1e12, 'W and H/s for the allocator');
  p.setBudget('office-bitaxe', 17);
  await until(() => d.frequency === 490, 'a step down to 490 MHz');
  p.setBudget('office-bitaxe', 14);
  await until(() => d.frequency === 400, 'a step down to 400 MHz');
  const sharesBefore = d.accepted;
  p.setBudget('office-bitaxe', 1);
  await until(() => d.paused, 'a pause below the lowest step');
  assert.equal(d.mining, false);
  assert.ok(sharesBefore >= 0);
  p.setBudget('office-bitaxe', 15);
  await until(() => !d.paused, 'resumed when a step fits again');
  await p.stop();
  assert.equal(d.frequency, 525, 'the user’s own frequency back');
  assert.equal(d.coreVoltage, 1150);
  assert.equal(d.paused, false);
  assertOnlyListed(d, { frequency: 525, coreVoltage: 1150 });
  assert.ok(d.patches.length >= 3);
  assert.deepEqual(d.posts.filter((x) => x.endsWith('pause')).length, 1);
});

test('random budgets over HTTP: the stand-in never receives a value it did not list; steering off restores', async () => {
  const d = await device({ generation: 'v2.9', host: '127.0.0.9', frequency: 550, coreVoltage: 1200 });
  const p = part({ probePort: d.port });
  await p.start();
  const linked = next(p, 'linked');
  p.minerConnected({ worker: 'den', address: '127.0.0.9' });
  await linked;
  await until(() => p.steps('den').length > 0, 'steps');
  await p.setSteering('den', true);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let k = 0; k < 25; k++) {
    p.setBudget('den', rand() < 0.2 ? null : rand() * 30);
    await new Promise((r) => setTimeout(r, 20));
  }
  await (p as unknown as { miners: Map<string, { busy: Promise<void> }> }).miners.get('den')!.busy;
  assert.ok(d.patches.length > 0, 'it did steer');
  assertOnlyListed(d, { frequency: 550, coreVoltage: 1200 });
  await p.setSteering('den', false);
  assert.equal(d.frequency, 550);
  assert.equal(d.coreVoltage, 1200);
  assert.equal(d.requests.filter((r) => r.method === 'POST').length, 0, 'no pause on v2.9');
});

test('old firmware (no /asic, no pause): no frequency steps and "only the plug can stop it"; nothing sent', async () => {
  const d = await device({ generation: 'legacy', host: '127.0.0.10' });
  const p = part({ probePort: d.port, steerByDefault: true });
  await p.start();
  const linked = next<{ canPause: boolean; frequencyOptions: number[] }>(p, 'linked');
  p.minerConnected({ worker: 'old', address: '127.0.0.10' });
  const l = await linked;
  assert.equal(l.canPause, false);
  assert.deepEqual(l.frequencyOptions, []);
  const plug = next<{ action: string; reason: string }>(p, 'steered', (e) => e.action === 'plug');
  p.setBudget('old', 3);
  assert.match((await plug).reason, /only the plug can stop it/);
  const r = await p.pause('old');
  assert.deepEqual([r.ok, r.plugOnly], [false, true]);
  assert.equal(d.patches.length, 0);
  assert.equal((await p.selectFrequency('old', 600)).ok, false, 'never above its current setting');
  await p.stop();
  assert.equal(d.patches.length, 0);
});

test('overheat: no raise while overheat_mode is set; after cooling the firmware’s lowered settings stand', async () => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.11' });
  const p = part({ probePort: d.port, steerByDefault: true, live: false });
  await p.start();
  const linked = next(p, 'linked');
  p.minerConnected({ worker: 'hot', address: '127.0.0.11' });
  await linked;
  await until(() => p.steps('hot').length > 0, 'steps');
  p.setBudget('hot', 17);
  await until(() => d.frequency === 490, 'a step down');
  d.overheat();
  await next(p, 'state', (e: { state: string }) => e.state === 'overheated');
  const n = d.patches.length;
  p.setBudget('hot', null);
  await next(p, 'reading');
  await next(p, 'reading');
  assert.equal(d.patches.length, n, 'no raise while overheated');
  assert.equal((await p.resume('hot')).ok, false);
  assert.equal((await p.selectFrequency('hot', 525)).ok, false);
  d.cool();
  await next(p, 'remember', (e: { why: string }) => /after an overheat/.test(e.why));
  assert.deepEqual(p.status('hot')!.user, { frequency: 390, coreVoltage: 1050 });
  await p.stop();
  assert.equal(d.frequency, 390, 'the hub did not undo the firmware’s own lowering');
  assertOnlyListed(d, { frequency: 525, coreVoltage: 1150 });
});

test('the minimum time between changes holds a second step back', async () => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.12' });
  let now = 1_000_000;
  const p = part({ probePort: d.port, steerByDefault: true, minChangeIntervalMs: 60_000, now: () => now, live: false });
  await p.start();
  const linked = next(p, 'linked');
  p.minerConnected({ worker: 'slow', address: '127.0.0.12' });
  await linked;
  await until(() => p.steps('slow').length > 0, 'steps');
  p.setBudget('slow', 17);
  await until(() => d.frequency === 490, 'the first step');
  p.setBudget('slow', 14);
  await next(p, 'reading');
  await next(p, 'reading');
  assert.equal(d.frequency, 490, 'held: less than 60 s since the last change');
  now += 61_000;
  await until(() => d.frequency === 400, 'the next step after the interval');
});

test('an explicit axeos_url mapping links at start, without a Stratum connection; the select takes only listed values', async () => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.13' });
  const p = part({ mappings: [{ worker: 'garage', url: d.url }], live: false });
  p.on('reading', () => {
    throw new Error('a listener that fails');
  });
  const linked = next(p, 'linked');
  await p.start();
  const l = await linked;
  assert.equal(l.via, 'mapping');
  assert.equal((await p.selectFrequency('garage', 510)).ok, false);
  assert.equal(d.patches.length, 0);
  const ok = await p.selectFrequency('garage', 600);
  assert.ok(ok.ok, ok.detail);
  assert.equal(d.frequency, 600);
  assert.deepEqual(p.status('garage')!.user, { frequency: 600, coreVoltage: 1150 }, 'the user’s own choice');
  d.failNext('status:500', 100);
  await next(p, 'state', (e: { state: string }) => e.state === 'server error');
  d.clearFaults();
  await next(p, 'state', (e: { state: string }) => e.state === 'ok');
  const polls = () => d.requests.filter((r) => r.path === '/api/system/info').length;
  const n0 = polls();
  await until(() => polls() >= n0 + 2, 'two more readings despite a failing listener');
  assert.equal(p.status('garage')!.state, 'ok', 'a failing listener does not stop the readings');
  await p.stop();
  assert.equal(d.frequency, 600, 'not steered: the user’s choice stays');
});

test('a pause made on the device is left alone; a pause the hub made before a restart is undone when steering ends; one AxeOS, one worker', async () => {
  const d = await device({ generation: 'v2.14', host: '127.0.0.16' });
  d.paused = true;
  const remembered = new Map<string, unknown>();
  const p = part({ probePort: d.port, steerByDefault: true, live: false });
  p.on('remember', (e) => remembered.set(e.worker, { ...e.user, pausedByHub: e.pausedByHub }));
  await p.start();
  const linked = next(p, 'linked');
  p.minerConnected({ worker: 'own-pause', address: '127.0.0.16' });
  await linked;
  p.minerConnected({ worker: 'same-box', address: '127.0.0.16' });
  assert.equal((p as unknown as { probing: Map<string, unknown> }).probing.has('same-box'), false, 'its AxeOS is linked already');
  p.setBudget('own-pause', 30);
  await next(p, 'reading');
  await next(p, 'reading');
  assert.equal(d.paused, true, 'paused by the user on the device: the hub does not resume it');
  assert.equal(d.posts.length, 0);
  assert.deepEqual(remembered.get('own-pause'), { frequency: 525, coreVoltage: 1150, pausedByHub: false });
  await p.stop();
  assert.equal(d.paused, true, 'still the user’s pause after stop');
  // a run that had paused it (remembered), then stops: it resumes
  const q = part({ probePort: d.port, live: false, remembered: { 'hub-paused': { frequency: 525, coreVoltage: 1150, pausedByHub: true } } });
  await q.start();
  const l2 = next(q, 'linked');
  q.minerConnected({ worker: 'hub-paused', address: '127.0.0.16' });
  await l2;
  await q.stop();
  assert.equal(d.paused, false, 'the hub’s own pause undone');
  assert.deepEqual(d.posts, ['/api/system/resume']);
});

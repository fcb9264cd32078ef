// The MQTT bridge: a Node-RED outside the hub (the nodes' config node in mqtt mode uses MqttHub)
// reaches the hub over a real Mosquitto: snapshots and changes come out, plans and control
// commands go in and change the real hash pool; bad messages are rejected, never applied.
// Every command carries the bridge key (issue 10.5): without it, or with a wrong one, it is
// refused with one rate-limited log line; values are clamped to what the hub has, and what is
// published back is what was applied.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { HashPool } from '../../src/hashpool/index.js';
import { InProcessHub, MqttHubBridge, keyMatches, parseControl, type HubSnapshot, type HubStats } from '../../src/flow/index.js';
import { defaultPolicy, parsePolicy, schedule } from '../../src/schedule/index.js';
import { MqttHub } from '../../nodes/src/mqtt-hub.js';
import { startMosquitto } from '../support/mosquitto.js';

let broker: Awaited<ReturnType<typeof startMosquitto>>;
let pool: HashPool;
let hub: InProcessHub;
let bridge: MqttHubBridge;
let remote: MqttHub;
const KEY = 'bridge-key-for-tests-0123456789';
const logLines: string[] = [];

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  broker = await startMosquitto();
  pool = new HashPool({ threads: 0, maxThreads: 2, kernel: 'js' });
  await pool.start();
  hub = new InProcessHub({ pool, cores: 2 });
  hub.setAppliances([{ id: 'pc', name: 'Office PC', status: 'busy', roles: ['worker'], workerId: 'hub' }]);
  bridge = new MqttHubBridge({
    hub,
    url: broker.url,
    baseTopic: 'mmtest',
    statsMs: 200,
    key: KEY,
    logger: pino({ level: 'info' }, { write: (l: string) => void logLines.push(l) }),
  });
  await bridge.start();
  remote = new MqttHub({ url: broker.url, baseTopic: 'mmtest', key: KEY });
});

after(async () => {
  await remote?.close();
  await bridge?.stop();
  await pool?.stop();
  await broker?.stop();
});

test('the remote side gets the retained snapshot and statistics, and each change', async () => {
  const snap = await until('snapshot', () => remote.snapshot().catch(() => undefined));
  assert.equal(snap.appliances[0].status, 'busy');
  assert.equal(snap.hub?.maxThreads, 2);
  await until('stats', () => remote.stats().catch(() => undefined));
  const changes: { snap: HubSnapshot; type: string }[] = [];
  const off = remote.subscribe((s, c) => changes.push({ snap: s, type: c.type }));
  hub.updateAppliance({ id: 'pc', name: 'Office PC', status: 'idle', roles: ['worker'], workerId: 'hub' });
  const c = await until('change', () => changes.find((x) => x.type === 'appliance'));
  assert.equal(c.snap.appliances[0].status, 'idle');
  off();
});

test('a plan made on the remote side from the remote snapshot changes the hub pool', async () => {
  const policy = parsePolicy({ ...defaultPolicy(), mode: 'idle_only', headroomCores: 0 });
  assert.ok(policy.ok);
  const snap = await remote.snapshot();
  const { plan } = schedule({ now: Date.now(), ...snap }, policy.value, null);
  assert.ok(plan.hubThreads > 0, plan.summary);
  await remote.applyPlan(plan);
  await until('pool threads', () => pool.threads === plan.hubThreads);
  assert.equal(hub.lastPlan?.summary, plan.summary);
  await remote.control({ action: 'stop' });
  await until('manual pause', () => hub.manualInput.paused === true);
  await remote.control({ action: 'policy', mode: 'always' });
  await until('manual mode', () => hub.manualInput.mode === 'always');
});

test('bad messages on the command topics are rejected and change nothing', async () => {
  const c = await mqtt.connectAsync(broker.url);
  try {
    const before = { ...bridge.counters };
    const threads = pool.threads;
    await c.publishAsync('mmtest/bridge/plan/set', JSON.stringify({ key: KEY, plan: 'not a plan' }), { qos: 1 });
    await c.publishAsync('mmtest/bridge/plan/set', JSON.stringify({ key: KEY, hubThreads: -5 }), { qos: 1 });
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ key: KEY, action: 'explode' }), { qos: 1 });
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ key: KEY, action: 'threads', threads: 1.5 }), { qos: 1 });
    await until('rejections counted', () => bridge.counters.rejected >= before.rejected + 4);
    assert.equal(bridge.counters.plansApplied, before.plansApplied);
    assert.equal(bridge.counters.controlsApplied, before.controlsApplied);
    assert.equal(pool.threads, threads);
    assert.equal(hub.manualInput.paused, true);
  } finally {
    await c.endAsync();
  }
  assert.match((parseControl({ action: 'threads', threads: 'x' }) as { error: string }).error, /threads/);
  // a worker's Mining switch over the bridge: a name and on/off, nothing else
  assert.deepEqual(parseControl({ action: 'worker', worker: 'kitchen-nerdminer', on: false }), {
    ok: true,
    value: { action: 'worker', id: 'kitchen-nerdminer', on: false },
  });
  assert.equal(parseControl({ action: 'worker', worker: '', on: false }).ok, false);
  assert.equal(parseControl({ action: 'worker', worker: 'x'.repeat(201), on: true }).ok, false);
  assert.equal(parseControl({ action: 'worker', worker: 'x', on: 'yes' }).ok, false);
});

test("a worker's Mining switch over the bridge: off and on again reach the hub's manual settings", async () => {
  const c = await mqtt.connectAsync(broker.url);
  try {
    const before = bridge.counters.controlsApplied;
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ key: KEY, action: 'worker', worker: 'garage-pc', on: false }), { qos: 1 });
    await until('applied', () => bridge.counters.controlsApplied >= before + 1);
    assert.deepEqual(hub.manualInput.workersOff, ['garage-pc']);
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ key: KEY, action: 'worker', worker: 'garage-pc', on: true }), { qos: 1 });
    await until('applied again', () => bridge.counters.controlsApplied >= before + 2);
    assert.deepEqual(hub.manualInput.workersOff, []);
  } finally {
    await c.endAsync();
  }
});

test('a retained command left on the broker is never obeyed when a bridge (re)connects', async () => {
  const c = await mqtt.connectAsync(broker.url);
  const second = new MqttHubBridge({ hub, url: broker.url, baseTopic: 'mmstale', key: KEY });
  try {
    await c.publishAsync('mmstale/bridge/control/set', JSON.stringify({ key: KEY, action: 'start' }), { qos: 1, retain: true });
    await second.start();
    await until('stale command rejected', () => second.counters.rejected >= 1);
    assert.equal(second.counters.controlsApplied, 0);
    assert.equal(hub.manualInput.paused, true);
  } finally {
    await c.publishAsync('mmstale/bridge/control/set', '', { qos: 1, retain: true });
    await c.endAsync();
    await second.stop();
  }
});

test('a command without the key, with a wrong one or a key of another type is refused, with one log line for the lot', async () => {
  const c = await mqtt.connectAsync(broker.url);
  try {
    const before = { ...bridge.counters };
    const linesBefore = logLines.length;
    const paused = hub.manualInput.paused;
    const threads = pool.threads;
    const bad = [
      JSON.stringify({ action: 'start' }),
      JSON.stringify({ key: 'wrong-key-0123456789abcdef', action: 'start' }),
      JSON.stringify({ key: KEY.slice(0, -1), action: 'start' }),
      JSON.stringify({ key: [KEY], action: 'start' }),
      'not json at all',
    ];
    for (let i = 0; i < 4; i++) for (const b of bad) await c.publishAsync('mmtest/bridge/control/set', b, { qos: 1 });
    await c.publishAsync('mmtest/bridge/plan/set', JSON.stringify({ key: 'nope', plan: { hubThreads: 2 } }), { qos: 1 });
    await until('refusals counted', () => bridge.counters.refusedKey >= before.refusedKey + 21);
    assert.equal(bridge.counters.controlsApplied, before.controlsApplied);
    assert.equal(bridge.counters.plansApplied, before.plansApplied);
    assert.equal(hub.manualInput.paused, paused);
    assert.equal(pool.threads, threads);
    const refusedLines = logLines.slice(linesBefore).filter((l) => l.includes('refused'));
    assert.equal(refusedLines.length, 1, refusedLines.join('\n'));
    assert.match(refusedLines[0], /bridge_key/);
    assert.ok(!logLines.some((l) => l.includes(KEY)), 'the key is never logged');
  } finally {
    await c.endAsync();
  }
  assert.equal(keyMatches(KEY, KEY), true);
  assert.equal(keyMatches(`${KEY} `, KEY), false);
  assert.equal(keyMatches(undefined, KEY), false);
  assert.equal(keyMatches(12345, KEY), false);
  assert.throws(() => new MqttHubBridge({ hub, url: broker.url, key: 'short' }), /at least 16 characters \(bridge_key\)/);
});

test('values are clamped to what the hub has: threads 1024 -> 2 applied, and 2 is what the hub publishes', async () => {
  const c = await mqtt.connectAsync(broker.url);
  try {
    const seen: { stats?: HubStats; plan?: { hubThreads: number } } = {};
    await c.subscribeAsync(['mmtest/bridge/stats', 'mmtest/bridge/plan'], { qos: 1 });
    c.on('message', (t, b) => {
      if (t.endsWith('/stats')) seen.stats = JSON.parse(b.toString()) as HubStats;
      else seen.plan = JSON.parse(b.toString()) as { hubThreads: number };
    });
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ key: KEY, action: 'threads', threads: 1024 }), { qos: 1 });
    await until('cap applied', () => hub.manualInput.maxThreads === 2);
    await until('published cap', () => seen.stats?.manual.maxThreads === 2);
    // the remote side's control() returns the state as applied
    assert.equal((await remote.control({ action: 'threads', threads: 1000 })).maxThreads, 2);
    // a plan asking for more threads than the pool has
    const snap = await remote.snapshot();
    const policy = parsePolicy({ ...defaultPolicy(), mode: 'always', headroomCores: 0 });
    assert.ok(policy.ok);
    const { plan } = schedule({ now: Date.now(), ...snap, manual: {} }, policy.value, null);
    await c.publishAsync('mmtest/bridge/plan/set', JSON.stringify({ key: KEY, plan: { ...plan, hubThreads: 1024 } }), { qos: 1 });
    await until('published plan as applied', () => seen.plan?.hubThreads === 2 && hub.lastPlan?.hubThreads === 2);
    assert.equal(pool.threads, 2);
    await remote.control({ action: 'threads', threads: null });
    await until('no cap', () => hub.manualInput.maxThreads === null);
  } finally {
    await c.endAsync();
  }
});

test('stop() publishes offline on the availability topic', async () => {
  const c = await mqtt.connectAsync(broker.url);
  try {
    await c.subscribeAsync('mmtest/bridge/availability', { qos: 1 });
    const seen: string[] = [];
    c.on('message', (_t, b) => seen.push(b.toString()));
    await until('online first', () => seen.includes('online'));
    await bridge.stop();
    await until('offline', () => seen.at(-1) === 'offline');
  } finally {
    await c.endAsync();
  }
});

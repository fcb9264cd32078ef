// The MQTT bridge: a Node-RED outside the hub (the nodes' config node in mqtt mode uses MqttHub)
// reaches the hub over a real Mosquitto: snapshots and changes come out, plans and control
// commands go in and change the real hash pool; bad messages are rejected, never applied.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { HashPool } from '../../src/hashpool/index.js';
import { InProcessHub, MqttHubBridge, parseControl, type HubSnapshot } from '../../src/flow/index.js';
import { defaultPolicy, parsePolicy, schedule } from '../../src/schedule/index.js';
import { MqttHub } from '../../nodes/src/mqtt-hub.js';
import { startMosquitto } from '../support/mosquitto.js';

let broker: Awaited<ReturnType<typeof startMosquitto>>;
let pool: HashPool;
let hub: InProcessHub;
let bridge: MqttHubBridge;
let remote: MqttHub;

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
  bridge = new MqttHubBridge({ hub, url: broker.url, baseTopic: 'mmtest', statsMs: 200 });
  await bridge.start();
  remote = new MqttHub({ url: broker.url, baseTopic: 'mmtest' });
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
    await c.publishAsync('mmtest/bridge/plan/set', 'not json', { qos: 1 });
    await c.publishAsync('mmtest/bridge/plan/set', JSON.stringify({ hubThreads: -5 }), { qos: 1 });
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ action: 'explode' }), { qos: 1 });
    await c.publishAsync('mmtest/bridge/control/set', JSON.stringify({ action: 'threads', threads: 1.5 }), { qos: 1 });
    await until('rejections counted', () => bridge.counters.rejected >= before.rejected + 4);
    assert.equal(bridge.counters.plansApplied, before.plansApplied);
    assert.equal(bridge.counters.controlsApplied, before.controlsApplied);
    assert.equal(pool.threads, threads);
    assert.equal(hub.manualInput.paused, true);
  } finally {
    await c.endAsync();
  }
  assert.match((parseControl({ action: 'threads', threads: 'x' }) as { error: string }).error, /threads/);
});

test('a retained command left on the broker is never obeyed when a bridge (re)connects', async () => {
  const c = await mqtt.connectAsync(broker.url);
  const second = new MqttHubBridge({ hub, url: broker.url, baseTopic: 'mmstale' });
  try {
    await c.publishAsync('mmstale/bridge/control/set', JSON.stringify({ action: 'start' }), { qos: 1, retain: true });
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

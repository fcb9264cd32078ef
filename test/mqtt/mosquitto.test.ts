// The MQTT entities against a real Mosquitto (Debian's), started by the test on a free loopback port.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import {
  MqttEntities,
  buildModel,
  topics,
  workerSlug,
  DEFAULT_ENTITY_OPTIONS,
  type MinerCommand,
  type MinerSnapshot,
  type EntityOptions,
} from '../../src/mqtt/index.js';
import { snapshot, worker } from './fixtures/snapshot.js';
import { Spy } from './fixtures/spy.js';

let broker: Mosquitto;
const cleanups: Array<() => Promise<void>> = [];
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await broker?.stop();
});

let seq = 0;
/** Each test gets its own node id (and so its own topics) on the shared broker. */
function names(): { nodeId: string; opts: EntityOptions } {
  const nodeId = `t${++seq}_mm`;
  return { nodeId, opts: { ...DEFAULT_ENTITY_OPTIONS, nodeId, baseTopic: nodeId } };
}

async function spy(pattern: string | string[] = '#'): Promise<Spy> {
  const s = await Spy.start(broker.url, pattern);
  cleanups.push(() => s.stop());
  return s;
}

/** A miner stand-in that applies commands to its snapshot and publishes the result, like the lead's wiring. */
function harness(nodeId: string, initial: MinerSnapshot, extra: Partial<ConstructorParameters<typeof MqttEntities>[0]> = {}) {
  const commands: MinerCommand[] = [];
  let snap = structuredClone(initial);
  const e: MqttEntities = new MqttEntities({
    url: broker.url,
    nodeId,
    birthDelayMs: [50, 150],
    readBackQuietMs: 150,
    onCommand: async (c) => {
      commands.push(c);
      const h = snap.hub;
      if (c.kind === 'mining') h.mining = c.on;
      if (c.kind === 'threads') h.maxThreads = c.threads;
      if (c.kind === 'policy') h.policy = c.policy;
      if (c.kind === 'reset_session') {
        h.sharesAccepted = 0;
        h.bestDifficultySession = 0;
      }
      await e.update(snap);
    },
    ...extra,
  });
  cleanups.push(() => e.stop());
  return {
    e,
    commands,
    get snap() {
      return snap;
    },
    set snap(s: MinerSnapshot) {
      snap = s;
    },
  };
}

test('every topic and payload: retained qos-1 configs equal the model, states, availability', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot({}, [worker('nerd1'), worker('bitaxe', { status: 'idle', hashrate: 0, lastShareAt: undefined })]);
  const live = await spy([`homeassistant/device/+/config`, `${nodeId}/#`]);
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  const model = buildModel(s0, opts);

  const retained = await Spy.retained(broker.url, '#');
  // configs: exactly one per device, retained, equal to the model
  assert.equal(retained.get(t.hubDevice), JSON.stringify(model.hub.config));
  for (const [slug, doc] of model.workers) assert.equal(retained.get(t.workerDevice(slug)), JSON.stringify(doc.config), slug);
  assert.equal(retained.get(t.availability), 'online');
  // every state topic of every device, retained, with its payload
  let n = 0;
  for (const doc of [model.hub, ...model.workers.values()]) {
    for (const [topic, payload] of doc.states) {
      assert.equal(retained.get(topic), payload, topic);
      n++;
    }
  }
  assert.ok(n >= 25, `${n} state topics`);
  assert.equal(retained.get(t.hubState('hashrate')), '1.5');
  assert.equal(retained.get(t.workerState('bitaxe', 'last_share')), 'None');
  assert.equal(retained.get(t.workerState('bitaxe', 'status')), 'idle');
  // published with qos 1 (a qos-1 subscriber receives qos 1), and each config once
  const hubMsgs = live.on(t.hubDevice);
  assert.equal(hubMsgs.length, 1);
  assert.equal(hubMsgs[0].qos, 1);
  // configs go out before the states that need them
  const firstState = live.seen.findIndex((m) => m.topic.startsWith(`${nodeId}/hub/`));
  const configIdx = live.seen.findIndex((m) => m.topic === t.hubDevice);
  assert.ok(configIdx >= 0 && configIdx < firstState, 'config before states');
});

test('configs are published only when they change; states only when they change', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot();
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  const live = await spy([`homeassistant/device/+/config`, `${nodeId}/#`]);
  await new Promise((r) => setTimeout(r, 200));
  const base = live.seen.length; // retained copies on subscribe
  await e.update(structuredClone(s0));
  await e.update({ ...s0, hub: { ...s0.hub, hashrate: 2_000_000 } });
  await live.waitFor((m) => m.topic === t.hubState('hashrate') && m.payload === '2', 3000, base);
  await new Promise((r) => setTimeout(r, 200));
  const after1 = live.seen.slice(base);
  assert.equal(after1.filter((m) => m.topic.endsWith('/config')).length, 0, 'no config re-sent for a state change');
  // hashrate changes hashrate, odds, expected time, earnings: those states only
  const changed = new Set(after1.map((m) => m.topic));
  assert.deepEqual(
    [...changed].sort(),
    [t.hubState('earnings_per_day'), t.hubState('expected_time_to_block'), t.hubState('hashrate'), t.hubState('odds_per_day')].sort(),
  );
  // a config change (the thread limit) re-sends that device's config once
  const mark = live.seen.length;
  await e.update({ ...s0, hub: { ...s0.hub, hashrate: 2_000_000, maxThreadsLimit: 8 } });
  const cfg = await live.waitFor((m) => m.topic === t.hubDevice, 3000, mark);
  assert.equal(JSON.parse(cfg.payload).cmps.max_threads.max, 8);
  assert.equal(cfg.retain, false, 'live delivery of a retained publish');
});

test('hashrate reads 0 (not unknown) when mining stops', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot();
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  const live = await spy(`${nodeId}/hub/#`);
  await new Promise((r) => setTimeout(r, 200));
  const mark = live.seen.length;
  await e.update({ ...s0, hub: { ...s0.hub, mining: false } });
  const m = await live.waitFor((x) => x.topic === t.hubState('hashrate') && !x.retain, 3000, mark);
  assert.equal(m.payload, '0');
});

test("HA's birth message: configs re-sent after a short random delay, then every state", async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot({}, [worker('w1')]);
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  const live = await spy([`homeassistant/device/+/config`, `${nodeId}/#`]);
  await new Promise((r) => setTimeout(r, 200));
  const mark = live.seen.length;
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  const sentAt = Date.now();
  await pub.publishAsync('homeassistant/status', 'online', { qos: 1 });
  const hub = await live.waitFor((m) => m.topic === t.hubDevice, 3000, mark, 'hub config after birth');
  const delay = hub.at - sentAt;
  console.log(`# birth replay delay: ${delay} ms (configured 50-150 ms)`);
  assert.ok(delay >= 40, `replay waited ${delay} ms`);
  const model = buildModel(s0, opts);
  const stateTopics = [...model.hub.states.keys(), ...model.workers.get('w1')!.states.keys()];
  for (const st of stateTopics) await live.waitFor((m) => m.topic === st, 3000, mark, st);
  const after = live.seen.slice(mark);
  const configTopics = [t.hubDevice, t.workerDevice('w1')];
  const lastConfig = after.reduce((acc, m, i) => (configTopics.includes(m.topic) ? i : acc), -1);
  const firstState = after.findIndex((m) => stateTopics.includes(m.topic));
  assert.ok(lastConfig < firstState, 'all configs before the states');
  assert.equal(e.stats.birthReplays, 1);
  // 'offline' (HA's last will) does not trigger a replay
  await pub.publishAsync('homeassistant/status', 'offline', { qos: 1 });
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(e.stats.birthReplays, 1);
});

test('the status topic and discovery prefix are configurable', async () => {
  const { nodeId } = names();
  const s0 = snapshot({}, []);
  const { e } = harness(nodeId, s0, { discoveryPrefix: 'hadisc', statusTopic: 'hass/status' });
  await e.start(s0);
  const live = await spy('hadisc/#');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(live.last(`hadisc/device/${nodeId}_hub/config`), 'config under the configured prefix');
  const mark = live.seen.length;
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  await pub.publishAsync('homeassistant/status', 'online', { qos: 1 });
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(live.seen.length, mark, 'the default status topic is not listened to');
  await pub.publishAsync('hass/status', 'online', { qos: 1 });
  await live.waitFor((m) => m.topic === `hadisc/device/${nodeId}_hub/config`, 3000, mark);
});

test('at start, our stale retained configs (and their states) are cleared; others are left alone', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot({}, [worker('keep')]);
  // A previous run: the hub exactly as now, a worker that is gone, and a foreign device.
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  const ghost = buildModel(snapshot({}, [worker('ghost')]), opts).workers.get('ghost')!;
  const current = buildModel(s0, opts);
  await pub.publishAsync(t.hubDevice, JSON.stringify(current.hub.config), { qos: 1, retain: true });
  await pub.publishAsync(ghost.topic, JSON.stringify(ghost.config), { qos: 1, retain: true });
  for (const [st, p] of ghost.states) await pub.publishAsync(st, p, { qos: 1, retain: true });
  await pub.publishAsync('homeassistant/device/someone_else/config', '{"dev":{"ids":"x"},"o":{"name":"x"},"cmps":{}}', { qos: 1, retain: true });
  await pub.publishAsync(`homeassistant/device/${nodeId}x_hub/config`, '{"not":"ours"}', { qos: 1, retain: true });

  const live = await spy([`homeassistant/device/+/config`]);
  await new Promise((r) => setTimeout(r, 200));
  const mark = live.seen.length;
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  const retained = await Spy.retained(broker.url, '#');
  assert.equal(retained.has(ghost.topic), false, 'stale worker config cleared');
  for (const st of ghost.states.keys()) assert.equal(retained.has(st), false, `stale state ${st} cleared`);
  assert.ok(retained.has('homeassistant/device/someone_else/config'), 'a foreign config is untouched');
  assert.ok(retained.has(`homeassistant/device/${nodeId}x_hub/config`), 'a look-alike node id is untouched');
  assert.ok(retained.has(t.workerDevice('keep')));
  const sent = live.seen.slice(mark);
  assert.equal(sent.filter((m) => m.topic === t.hubDevice).length, 0, 'an unchanged retained hub config is not re-sent');
  assert.equal(sent.filter((m) => m.topic === ghost.topic && m.payload === '').length, 1);
  assert.equal(e.stats.configsCleared, 1);
  await pub.publishAsync('homeassistant/device/someone_else/config', '', { qos: 1, retain: true });
  await pub.publishAsync(`homeassistant/device/${nodeId}x_hub/config`, '', { qos: 1, retain: true });
});

test("a retained fake config under the hub's naming cannot make the hub clear other devices' topics (issue 10 item 4)", async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot({}, [worker('keep')]);
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  // another device's discovery config and states, retained (zigbee2mqtt-like)
  const victimConfig = 'homeassistant/device/victim_lamp/config';
  const victimConfigPayload = '{"dev":{"ids":"lamp"},"o":{"name":"z2m"},"cmps":{"l":{"p":"light","stat_t":"z2m/lamp"}}}';
  const victimTopics = [victimConfig, 'z2m/lamp', 'homeassistant/sensor/victim/temp/config', `${nodeId}x/hub/hashrate`];
  await pub.publishAsync(victimConfig, victimConfigPayload, { qos: 1, retain: true });
  for (const vt of victimTopics.slice(1)) await pub.publishAsync(vt, `keep ${vt}`, { qos: 1, retain: true });
  // a fake config under the hub's own naming whose components point at those topics
  const fake = t.workerDevice('fake');
  const cmps = Object.fromEntries(victimTopics.map((vt, i) => [`c${i}`, { p: 'sensor', state_topic: vt, stat_t: vt }]));
  await pub.publishAsync(fake, JSON.stringify({ dev: { ids: 'fake' }, o: { name: 'x' }, cmps }), { qos: 1, retain: true });

  const live = await spy(['#']);
  await new Promise((r) => setTimeout(r, 200));
  const mark = live.seen.length;
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  await e.update(snapshot({}, [])); // a worker goes: the clean-up runs again
  const retained = await Spy.retained(broker.url, '#');
  assert.equal(retained.get(victimConfig), victimConfigPayload, "the other device's retained config is still there");
  for (const vt of victimTopics.slice(1)) assert.equal(retained.get(vt), `keep ${vt}`, `${vt} is untouched`);
  const cleared = live.seen
    .slice(mark)
    .filter((m) => m.payload === '')
    .map((m) => m.topic);
  for (const c of cleared) assert.ok(t.ownObjectId(c) !== undefined || c.startsWith(`${nodeId}/`), `the hub cleared only its own topics, not ${c}`);
  assert.ok(cleared.includes(t.workerDevice('keep')), 'its own gone worker is still cleared');
  assert.equal(retained.has(fake), false, 'the fake config under its own naming is cleared');
  for (const vt of victimTopics) await pub.publishAsync(vt, '', { qos: 1, retain: true });
});

test('a vanished worker: empty retained config and its states cleared; a new one appears', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot({}, [worker('a'), worker('b')]);
  const { e } = harness(nodeId, s0);
  await e.start(s0);
  await e.update(snapshot({}, [worker('b'), worker('c')]));
  const retained = await Spy.retained(broker.url, '#');
  assert.equal(retained.has(t.workerDevice('a')), false);
  assert.equal(retained.has(t.workerState('a', 'hashrate')), false);
  assert.ok(retained.has(t.workerDevice('b')));
  assert.ok(retained.has(t.workerDevice('c')));
  assert.equal(retained.get(t.workerState('c', 'status')), 'mining');
});

test('commands: switch, number, select and button round trips reach the miner and publish the new state', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot();
  const h = harness(nodeId, s0);
  await h.e.start(s0);
  const live = await spy(`${nodeId}/hub/#`);
  await new Promise((r) => setTimeout(r, 200));
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  const cases: Array<[string, string, MinerCommand, Array<[string, string]>]> = [
    [
      'mining',
      'OFF',
      { kind: 'mining', on: false },
      [
        ['mining', 'OFF'],
        ['hashrate', '0'],
      ],
    ],
    [
      'mining',
      'ON',
      { kind: 'mining', on: true },
      [
        ['mining', 'ON'],
        ['hashrate', '1.5'],
      ],
    ],
    ['max_threads', '1', { kind: 'threads', threads: 1 }, [['max_threads', '1']]],
    ['policy', 'surplus', { kind: 'policy', policy: 'surplus' }, [['policy', 'surplus']]],
    [
      'reset_session',
      'PRESS',
      { kind: 'reset_session' },
      [
        ['shares_accepted', '0'],
        ['best_difficulty_session', '0'],
      ],
    ],
  ];
  for (const [key, payload, cmd, expect] of cases) {
    const mark = live.seen.length;
    const n = h.commands.length;
    const sent = Date.now();
    await pub.publishAsync(t.hubCommand(key), payload, { qos: 1 });
    for (const [k, v] of expect) {
      // the round trip is a printed figure; the wait is only a guard for a busy machine
      const m = await live.waitFor((x) => x.topic === t.hubState(k) && x.payload === v, 30_000, mark, `${k}=${v}`);
      console.log(`# ${key} ${payload}: ${k}=${v} published back after ${m.at - sent} ms`);
    }
    assert.deepEqual(h.commands.slice(n), [cmd]);
  }
  assert.equal(h.e.stats.commandsAccepted, 5);
});

test('bad command payloads are ignored with a log line and the true state is re-published', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot();
  const h = harness(nodeId, s0);
  await h.e.start(s0);
  const live = await spy(`${nodeId}/hub/#`);
  await new Promise((r) => setTimeout(r, 200));
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  for (const [key, payload, state, truth] of [
    ['mining', 'maybe', 'mining', 'ON'],
    ['max_threads', '99', 'max_threads', '3'],
    ['max_threads', 'three', 'max_threads', '3'],
    ['policy', 'whenever', 'policy', 'idle_only'],
    ['mining', 'X'.repeat(5000), 'mining', 'ON'],
  ] as const) {
    const mark = live.seen.length;
    await pub.publishAsync(t.hubCommand(key), payload, { qos: 1 });
    const m = await live.waitFor((x) => x.topic === t.hubState(state) && !x.retain, 3000, mark, `${state} re-published`);
    assert.equal(m.payload, truth);
  }
  assert.deepEqual(h.commands, [], 'no bad command reached the miner');
  assert.equal(h.e.stats.commandsRejected, 5);
  // a retained command is never obeyed (it would act again on every start)
  await pub.publishAsync(t.hubCommand('mining'), 'OFF', { qos: 1, retain: true });
  await new Promise((r) => setTimeout(r, 300));
  // a publisher starting now on the same topics receives the retained command: it must not act on it
  const late: MinerCommand[] = [];
  const e3 = new MqttEntities({ url: broker.url, nodeId, readBackQuietMs: 100, onCommand: (c) => void late.push(c) });
  cleanups.push(() => e3.stop());
  await e3.start(s0);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(late, []);
  await pub.publishAsync(t.hubCommand('mining'), '', { qos: 1, retain: true });
});

test('a command handler that throws or hangs still gets the true state published', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot();
  let calls = 0;
  const e = new MqttEntities({
    url: broker.url,
    nodeId,
    readBackQuietMs: 100,
    commandTimeoutMs: 300,
    onCommand: (c) => {
      calls++;
      if (c.kind === 'mining') throw new Error('hub says no');
      return new Promise(() => {}); // never resolves
    },
  });
  cleanups.push(() => e.stop());
  await e.start(s0);
  const live = await spy(`${nodeId}/hub/#`);
  await new Promise((r) => setTimeout(r, 200));
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  let mark = live.seen.length;
  await pub.publishAsync(t.hubCommand('mining'), 'OFF', { qos: 1 });
  assert.equal((await live.waitFor((x) => x.topic === t.hubState('mining'), 3000, mark)).payload, 'ON');
  mark = live.seen.length;
  await pub.publishAsync(t.hubCommand('policy'), 'always', { qos: 1 });
  assert.equal((await live.waitFor((x) => x.topic === t.hubState('policy'), 3000, mark)).payload, 'idle_only');
  assert.equal(calls, 2);
});

test('last will: a killed process shows offline on the retained availability topic', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/lwt-child.ts', import.meta.url).pathname, broker.url, nodeId], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MM_TEST: '1' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child not ready in 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  const live = await spy(t.availability);
  await live.waitFor((m) => m.payload === 'online' && m.retain, 3000, 0, 'retained online');
  const mark = live.seen.length;
  const killedAt = Date.now();
  child.kill('SIGKILL');
  await exited;
  const m = await live.waitFor((x) => x.payload === 'offline', 10_000, mark, 'offline after kill -9');
  console.log(`# last will: offline ${m.at - killedAt} ms after kill -9`);
  const retained = await Spy.retained(broker.url, t.availability);
  assert.equal(retained.get(t.availability), 'offline', 'the will is retained');
});

test('stop(): offline retained, connection closed', async () => {
  const { nodeId, opts } = names();
  const t = topics(opts);
  const s0 = snapshot();
  const e = new MqttEntities({ url: broker.url, nodeId, readBackQuietMs: 100, onCommand: () => {} });
  await e.start(s0);
  await e.stop();
  await e.stop(); // twice is fine
  const retained = await Spy.retained(broker.url, t.availability);
  assert.equal(retained.get(t.availability), 'offline');
  await e.update(s0); // after stop: nothing, no throw
});

test('a broker with credentials: the right ones connect, wrong ones give a clear error without the password', async () => {
  const secured = await startMosquitto({ username: 'mm', password: 's3cret-pw' });
  cleanups.push(() => secured.stop());
  const s0 = snapshot({}, []);
  const ok = new MqttEntities({ url: secured.url, username: 'mm', password: 's3cret-pw', nodeId: 'cred_ok', readBackQuietMs: 100, onCommand: () => {} });
  cleanups.push(() => ok.stop());
  await ok.start(s0);
  const retained = await Spy.retained(secured.url, 'cred_ok/#', 300).catch((e) => e as Error);
  assert.ok(retained instanceof Error, 'anonymous clients are refused by this broker');
  const bad = new MqttEntities({ url: secured.url, username: 'mm', password: 'wrong-pw', nodeId: 'cred_bad', connectTimeoutMs: 5000, onCommand: () => {} });
  await assert.rejects(bad.start(s0), (err: Error) => {
    assert.match(err.message, /MQTT broker mqtt:\/\/127\.0\.0\.1:\d+\/?: .*(authori|Not authorized|Bad user)/i);
    assert.doesNotMatch(err.message, /wrong-pw/);
    return true;
  });
  // credentials in the URL work too, and are not echoed in errors
  const viaUrl = new MqttEntities({ url: `mqtt://mm:s3cret-pw@127.0.0.1:${secured.port}`, nodeId: 'cred_url', readBackQuietMs: 100, onCommand: () => {} });
  cleanups.push(() => viaUrl.stop());
  await viaUrl.start(s0);
});

test('no broker at the URL: start() fails with a clear message', async () => {
  const e = new MqttEntities({ url: 'mqtt://127.0.0.1:1', nodeId: 'nobroker', connectTimeoutMs: 3000, onCommand: () => {} });
  await assert.rejects(e.start(snapshot()), /MQTT broker mqtt:\/\/127\.0\.0\.1:1\/?: .*(ECONNREFUSED|no connection)/);
});

test('bad options are refused with the field named', () => {
  assert.throws(() => new MqttEntities({ url: broker.url, nodeId: 'bad id', onCommand: () => {} }), /nodeId/);
  assert.throws(() => new MqttEntities({ url: broker.url, discoveryPrefix: 'ha/#', onCommand: () => {} }), /discoveryPrefix/);
  assert.throws(() => new MqttEntities({ url: broker.url, statusTopic: 'x/+', onCommand: () => {} }), /statusTopic/);
  assert.equal(workerSlug('ok'), 'ok');
});

test('stop() returns promptly when the broker has gone away', async () => {
  const lonely = await startMosquitto();
  const e = new MqttEntities({ url: lonely.url, nodeId: 'gone', readBackQuietMs: 100, reconnectPeriodMs: 200, onCommand: () => {} });
  await e.start(snapshot());
  await lonely.stop();
  void e.update(snapshot({ hashrate: 7 })); // queued while the broker is gone
  const t0 = Date.now();
  await e.stop();
  const took = Date.now() - t0;
  console.log(`# stop() with the broker gone took ${took} ms`);
  assert.ok(took < 5000, `stop() took ${took} ms (generous bound: it must not wait for the broker)`);
});

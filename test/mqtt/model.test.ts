// Pure parts: odds arithmetic, the entity model (discovery payloads and states), command parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectedSecondsToBlock,
  oddsPerDay,
  earningsSatsPerDay,
  buildModel,
  workerSlug,
  formatNumber,
  parseCommand,
  DEFAULT_ENTITY_OPTIONS,
  topics,
} from '../../src/mqtt/index.js';
import { snapshot, worker } from './fixtures/snapshot.js';

const o = DEFAULT_ENTITY_OPTIONS;

test('expected time to a block = D * 2^32 / h', () => {
  assert.equal(expectedSecondsToBlock(2 ** 32, 1), 1);
  assert.equal(expectedSecondsToBlock(1e6, 1e14), (1e14 * 2 ** 32) / 1e6);
  assert.equal(expectedSecondsToBlock(0, 1e14), Infinity);
  assert.equal(expectedSecondsToBlock(1e6, 0), Infinity);
  assert.equal(expectedSecondsToBlock(Number.NaN, 1), Infinity);
});

test('odds per day = 1 - exp(-86400 h / (D 2^32)), precise for tiny rates', () => {
  // h such that exactly one block is expected per day: odds 1 - 1/e
  const h = (1 * 2 ** 32) / 86400;
  assert.ok(Math.abs(oddsPerDay(h, 1) - (1 - Math.exp(-1))) < 1e-12);
  // a CPU at 1.5 MH/s against difficulty 1e14: about 3.0e-10 per day, not rounded to 0
  const tiny = oddsPerDay(1.5e6, 1e14);
  const approx = (86400 * 1.5e6) / (1e14 * 2 ** 32);
  assert.ok(tiny > 0);
  assert.ok(Math.abs(tiny - approx) / approx < 1e-9, `${tiny} vs ${approx}`);
  assert.equal(oddsPerDay(0, 1e14), 0);
  assert.ok(oddsPerDay(1e30, 1) <= 1);
});

test('earnings per day: blocks per day x reward x (1 - fee)', () => {
  const h = (2 ** 32) / 86400; // one block a day at difficulty 1
  assert.ok(Math.abs(earningsSatsPerDay(h, 1, 1000) - 1000) < 1e-6);
  assert.ok(Math.abs(earningsSatsPerDay(h, 1, 1000, 0.02) - 980) < 1e-6);
  assert.equal(earningsSatsPerDay(h, 1, 1000, 2), 0, 'a fee above 100 % is refused');
  assert.equal(earningsSatsPerDay(0, 1), 0);
});

test('numbers as states: integers plain, others 6 significant digits, non-finite is None', () => {
  assert.equal(formatNumber(12), '12');
  assert.equal(formatNumber(1.23456789), '1.23457');
  assert.equal(formatNumber(3.0e-12), '3e-12');
  assert.equal(formatNumber(Infinity), 'None');
  assert.equal(formatNumber(undefined), 'None');
});

test('worker slugs are stable, topic-safe and keep distinct ids distinct', () => {
  assert.equal(workerSlug('nerd1'), 'nerd1');
  const a = workerSlug('bc1qxyz.Worker-1');
  const b = workerSlug('bc1qxyz.worker_1');
  assert.match(a, /^[a-z0-9_]+$/);
  assert.notEqual(a, b);
  assert.equal(workerSlug('bc1qxyz.Worker-1'), a);
  assert.ok(workerSlug('x'.repeat(500)).length <= 48);
  assert.match(workerSlug('////'), /^worker_[0-9a-f]{6}$/);
});

test('hub device discovery: device, origin, availability, qos and every component', () => {
  const m = buildModel(snapshot(), o);
  assert.equal(m.hub.topic, 'homeassistant/device/micro_mining_hub/config');
  const c = m.hub.config as any;
  assert.deepEqual(c.device.identifiers, ['micro_mining_hub']);
  assert.equal(c.device.name, 'Micro Mining');
  assert.equal(c.origin.name, 'micro-mining');
  assert.equal(c.availability_topic, 'micro_mining/availability');
  assert.equal(c.qos, 1);
  const keys = Object.keys(c.cmps);
  for (const k of ['hashrate', 'shares_accepted', 'shares_rejected', 'shares_stale', 'best_difficulty_session', 'best_difficulty_all_time', 'blocks_found', 'pool_connected', 'active_workers', 'network_difficulty', 'mode', 'policy_decision', 'power', 'energy', 'expected_time_to_block', 'odds_per_day', 'earnings_per_day', 'mining', 'max_threads', 'policy', 'reset_session']) {
    assert.ok(keys.includes(k), `component ${k}`);
    const e = c.cmps[k];
    assert.equal(e.unique_id, `micro_mining_hub_${k}`);
    assert.equal(e.default_entity_id, `${e.p}.micro_mining_${k}`);
    assert.equal(e.object_id, undefined, 'no deprecated object_id');
  }
  assert.deepEqual([c.cmps.energy.device_class, c.cmps.energy.state_class, c.cmps.energy.unit_of_measurement], ['energy', 'total_increasing', 'kWh']);
  assert.deepEqual([c.cmps.power.device_class, c.cmps.power.unit_of_measurement], ['power', 'W']);
  assert.deepEqual([c.cmps.hashrate.unit_of_measurement, c.cmps.hashrate.state_class], ['H/s', 'measurement']);
  assert.deepEqual([c.cmps.pool_connected.p, c.cmps.pool_connected.device_class, c.cmps.pool_connected.entity_category], ['binary_sensor', 'connectivity', 'diagnostic']);
  assert.deepEqual([c.cmps.expected_time_to_block.device_class, c.cmps.expected_time_to_block.unit_of_measurement], ['duration', 'd']);
  assert.equal(c.cmps.mining.command_topic, 'micro_mining/hub/mining/set');
  assert.deepEqual([c.cmps.max_threads.min, c.cmps.max_threads.max, c.cmps.max_threads.step], [0, 4, 1]);
  assert.deepEqual(c.cmps.policy.options, ['always', 'idle_only', 'surplus']);
  assert.equal(c.cmps.reset_session.state_topic, undefined, 'a button has no state');
  assert.equal(c.cmps.shares_accepted.state_class, 'total_increasing');
});

test('hub states: values, hashrate 0 when mining stops, derived odds', () => {
  const t = topics(o);
  const s = snapshot();
  let st = buildModel(s, o).hub.states;
  assert.equal(st.get(t.hubState('hashrate')), '1500000');
  assert.equal(st.get(t.hubState('pool_connected')), 'ON');
  assert.equal(st.get(t.hubState('mining')), 'ON');
  assert.equal(st.get(t.hubState('max_threads')), '3');
  assert.equal(st.get(t.hubState('policy')), 'idle_only');
  assert.equal(st.get(t.hubState('energy')), '1.25');
  assert.equal(st.get(t.hubState('policy_decision')), 'mining: 3 threads, 2 appliances idle, 640 W surplus');
  const days = Number(st.get(t.hubState('expected_time_to_block')));
  assert.ok(Math.abs(days - expectedSecondsToBlock(1.5e6, 1e14) / 86400) / days < 1e-5);
  const pct = Number(st.get(t.hubState('odds_per_day')));
  assert.ok(Math.abs(pct - oddsPerDay(1.5e6, 1e14) * 100) / pct < 1e-5);
  assert.ok(Number(st.get(t.hubState('earnings_per_day'))) > 0);
  st = buildModel(snapshot({ mining: false }), o).hub.states;
  assert.equal(st.get(t.hubState('hashrate')), '0', 'hashrate reads 0, not unknown, when mining stops');
  assert.equal(st.get(t.hubState('mining')), 'OFF');
  assert.equal(st.get(t.hubState('expected_time_to_block')), 'None');
  assert.equal(st.get(t.hubState('odds_per_day')), '0');
  st = buildModel(snapshot({ networkDifficulty: undefined }), o).hub.states;
  assert.equal(st.get(t.hubState('network_difficulty')), 'None');
  assert.equal(st.get(t.hubState('odds_per_day')), 'None');
  st = buildModel(snapshot({ policyDecision: 'x'.repeat(1000) }), o).hub.states;
  assert.equal(st.get(t.hubState('policy_decision'))!.length, 255);
});

test('practice mode has no earnings entity; switching back leaves a removal stub', () => {
  const pool = buildModel(snapshot(), o);
  const practice = buildModel(snapshot({ mode: 'practice' }), o, () => pool.hub.config);
  const cm = (practice.hub.config as any).cmps;
  assert.deepEqual(cm.earnings_per_day, { p: 'sensor' }, 'platform-only stub removes the component in HA');
  assert.equal(practice.hub.states.has(topics(o).hubState('earnings_per_day')), false);
  // an unchanged practice device keeps an identical payload (no churn)
  const again = buildModel(snapshot({ mode: 'practice' }), o, () => practice.hub.config);
  assert.equal(JSON.stringify(again.hub.config), JSON.stringify(practice.hub.config));
  // back to pool: the full component again, same unique_id
  const back = buildModel(snapshot(), o, () => practice.hub.config);
  assert.equal((back.hub.config as any).cmps.earnings_per_day.unique_id, 'micro_mining_hub_earnings_per_day');
});

test('worker devices: own device via the hub, or linked to an HA device by connections', () => {
  const w1 = worker('nerd1');
  const w2 = worker('Washer CPU', { linkedConnections: [['mac', 'aa:bb:cc:dd:ee:01']], status: 'offline', hashrate: 999 });
  const m = buildModel(snapshot({}, [w1, w2, worker('nerd1')]), o);
  assert.equal(m.workers.size, 2, 'duplicate ids are one device');
  const d1 = m.workers.get('nerd1')!;
  assert.equal(d1.topic, 'homeassistant/device/micro_mining_w_nerd1/config');
  const c1 = d1.config as any;
  assert.deepEqual(c1.device.identifiers, ['micro_mining_w_nerd1']);
  assert.equal(c1.device.via_device, 'micro_mining_hub');
  assert.equal(c1.device.name, 'Miner nerd1');
  assert.deepEqual(Object.keys(c1.cmps), ['status', 'hashrate', 'shares', 'best_difficulty', 'last_share']);
  assert.equal(c1.cmps.hashrate.unique_id, 'micro_mining_w_nerd1_hashrate');
  assert.equal(c1.cmps.hashrate.default_entity_id, 'sensor.micro_mining_nerd1_hashrate');
  assert.deepEqual(c1.cmps.status.options, ['mining', 'idle', 'busy', 'offline']);
  assert.equal(c1.cmps.last_share.device_class, 'timestamp');
  const t = topics(o);
  assert.equal(d1.states.get(t.workerState('nerd1', 'last_share')), '2025-01-02T03:04:05.000Z');
  assert.equal(d1.states.get(t.workerState('nerd1', 'status')), 'mining');
  const slug2 = workerSlug('Washer CPU');
  const d2 = m.workers.get(slug2)!;
  const c2 = d2.config as any;
  assert.deepEqual(c2.device.connections, [['mac', 'aa:bb:cc:dd:ee:01']]);
  assert.equal(c2.device.name, undefined, 'a linked device keeps its own name');
  assert.equal(c2.device.via_device, undefined);
  assert.equal(d2.states.get(t.workerState(slug2, 'hashrate')), '0', 'an offline worker reads 0 H/s');
  // hub and worker unique ids never meet
  const all = [m.hub, ...m.workers.values()].flatMap((d) => Object.values((d.config as any).cmps).map((x: any) => x.unique_id));
  assert.equal(new Set(all).size, all.length);
});

test('configurable prefix and node id', () => {
  const oo = { ...o, discoveryPrefix: 'ha_disc', nodeId: 'mm2', baseTopic: 'mm2/base' };
  const m = buildModel(snapshot(), oo);
  assert.equal(m.hub.topic, 'ha_disc/device/mm2_hub/config');
  assert.equal((m.hub.config as any).cmps.hashrate.state_topic, 'mm2/base/hub/hashrate');
  assert.equal(topics(oo).ownObjectId('ha_disc/device/mm2_w_x/config'), 'mm2_w_x');
  assert.equal(topics(oo).ownObjectId('ha_disc/device/other_device/config'), undefined);
  assert.equal(topics(oo).ownObjectId('homeassistant/device/mm2_hub/config'), undefined);
});

test('commands: valid payloads parse, bad ones give a reason', () => {
  assert.deepEqual(parseCommand('mining', 'ON', 4), { ok: true, command: { kind: 'mining', on: true } });
  assert.deepEqual(parseCommand('mining', Buffer.from('OFF'), 4), { ok: true, command: { kind: 'mining', on: false } });
  assert.deepEqual(parseCommand('max_threads', '2', 4), { ok: true, command: { kind: 'threads', threads: 2 } });
  assert.deepEqual(parseCommand('max_threads', '3.0', 4), { ok: true, command: { kind: 'threads', threads: 3 } });
  assert.deepEqual(parseCommand('policy', 'surplus', 4), { ok: true, command: { kind: 'policy', policy: 'surplus' } });
  assert.deepEqual(parseCommand('reset_session', 'PRESS', 4), { ok: true, command: { kind: 'reset_session' } });
  for (const [k, p] of [
    ['mining', 'maybe'], ['mining', ''], ['max_threads', '5'], ['max_threads', '-1'], ['max_threads', '2.5'], ['max_threads', 'NaN'],
    ['max_threads', '1e3'], ['policy', 'sometimes'], ['policy', 'ALWAYS'], ['reset_session', 'now'], ['mining', 'O'.repeat(65)], ['explode', 'ON'],
  ] as const) {
    const r = parseCommand(k, p, 4);
    assert.equal(r.ok, false, `${k} ${p}`);
    assert.ok(!r.ok && r.reason.length > 0);
  }
  assert.match((parseCommand('max_threads', '5', 4) as { reason: string }).reason, /at most 4/);
});

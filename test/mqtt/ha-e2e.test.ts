// End to end on the real HA test bed (HA Core + Mosquitto + HA's MQTT integration):
// the entities appear in HA's registries with the right device, device_class, unit and state;
// HA's services reach the command handler; HA's restart (birth message) brings everything back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { MqttEntities, workerSlug, type MinerCommand, type MinerSnapshot } from '../../src/mqtt/index.js';
import { snapshot, worker } from './fixtures/snapshot.js';

interface RegEntity {
  entity_id: string;
  unique_id: string;
  platform: string;
  device_id: string | null;
  original_device_class?: string | null;
  entity_category?: string | null;
}
interface RegDevice {
  id: string;
  name: string | null;
  identifiers: [string, string][];
  connections: [string, string][];
  via_device_id: string | null;
  manufacturer: string | null;
}

let bed: HaTestBed;
let entities: MqttEntities;
let snap: MinerSnapshot;
const commands: MinerCommand[] = [];
const WASHER_MAC = 'aa:bb:cc:dd:ee:51';

before(async () => {
  bed = await startHaTestBed();
});
after(async () => {
  await entities?.stop();
  await bed?.stop();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms ${last ? `(${(last as Error).message})` : ''}\n${bed.logTail(30)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const registry = () => bed.call<RegEntity[]>('config/entity_registry/list');
const devices = () => bed.call<RegDevice[]>('config/device_registry/list');

test('entities appear in HA with the right device, device_class, unit and state', async () => {
  // An appliance HA already knows (by MAC), that also mines: its worker entities must join it.
  const washer = await bed.announceDevice({
    id: 'washer51',
    name: 'Washer',
    manufacturer: 'Acme',
    connections: [['mac', WASHER_MAC]],
    entities: [{ component: 'sensor', key: 'power', deviceClass: 'power', unit: 'W' }],
  });
  snap = snapshot({ electricityPrice: { value: 0.3, unit: 'EUR/kWh' } }, [
    worker('nerd1', { name: 'NerdMiner desk', model: 'NerdMiner v2' }),
    worker('washer cpu', { linkedConnections: [['mac', WASHER_MAC]], hashrate: 1234 }),
  ]);
  entities = new MqttEntities({
    url: bed.mqtt!.url,
    birthDelayMs: [200, 800],
    onCommand: async (c) => {
      commands.push(c);
      if (c.kind === 'mining') snap.hub.mining = c.on;
      if (c.kind === 'threads') snap.hub.maxThreads = c.threads;
      if (c.kind === 'policy') snap.hub.policy = c.policy;
      if (c.kind === 'reset_session') snap.hub.sharesAccepted = 0;
      await entities.update(snap);
    },
  });
  await entities.start(snap);

  const hubKeys = [
    'hashrate',
    'shares_accepted',
    'energy',
    'power',
    'pool_connection',
    'decision',
    'decision_reason',
    'mining',
    'max_threads',
    'policy',
    'reset_session',
    'earnings_per_day',
    'cost_per_day',
    'odds_per_day',
    'expected_time_to_block',
  ];
  const reg = await until('hub entities registered', async () => {
    const r = await registry();
    return hubKeys.every((k) => r.some((e) => e.platform === 'mqtt' && e.unique_id === `micro_mining_hub_${k}`)) ? r : undefined;
  });
  const byUid = (uid: string) => reg.find((e) => e.unique_id === uid)!;
  const devs = await devices();
  const hubDev = devs.find((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id === 'micro_mining_hub'));
  assert.ok(hubDev, 'the hub device');
  assert.equal(hubDev!.name, 'Micro Mining');
  for (const k of hubKeys) assert.equal(byUid(`micro_mining_hub_${k}`).device_id, hubDev!.id, `${k} on the hub device`);
  // default_entity_id decides the entity ids
  assert.equal(byUid('micro_mining_hub_hashrate').entity_id, 'sensor.micro_mining_hashrate');
  assert.equal(byUid('micro_mining_hub_mining').entity_id, 'switch.micro_mining_mining');
  assert.equal(byUid('micro_mining_hub_pool_connection').entity_category, 'diagnostic');
  assert.equal(byUid('micro_mining_hub_max_threads').entity_category, 'config');

  const energy = await bed.waitState('sensor.micro_mining_energy', '1.25');
  assert.equal(energy.attributes.device_class, 'energy');
  assert.equal(energy.attributes.state_class, 'total_increasing');
  assert.equal(energy.attributes.unit_of_measurement, 'kWh');
  const power = await bed.waitState('sensor.micro_mining_power', '35');
  assert.equal(power.attributes.device_class, 'power');
  assert.equal(power.attributes.unit_of_measurement, 'W');
  assert.equal(power.attributes.friendly_name, 'Micro Mining Estimated power', 'the name says it is an estimate');
  const hr = await bed.waitState('sensor.micro_mining_hashrate', '1.5');
  assert.equal(hr.attributes.unit_of_measurement, 'MH/s');
  assert.equal(hr.attributes.state_class, 'measurement');
  assert.equal(hr.attributes.friendly_name, 'Micro Mining Hashrate');
  const conn = await bed.waitState('sensor.micro_mining_pool_connection', 'connected');
  assert.equal(conn.attributes.device_class, 'enum');
  assert.deepEqual(conn.attributes.options, ['practice', 'connected', 'disconnected']);
  const sw = await bed.waitState('switch.micro_mining_mining', 'on');
  assert.equal(sw.attributes.friendly_name, 'Micro Mining', 'the main switch takes the device name, not "Micro Mining Mining"');
  // the suggested display precision reached HA's entity registry (the frontend formats with it)
  const hrEntry = await bed.call<{ options: Record<string, Record<string, unknown>> }>('config/entity_registry/get', {
    entity_id: 'sensor.micro_mining_hashrate',
  });
  assert.equal(hrEntry.options.sensor?.suggested_display_precision, 2, JSON.stringify(hrEntry.options));
  const decision = await bed.waitState('sensor.micro_mining_decision', 'mining');
  assert.equal(decision.attributes.device_class, 'enum');
  assert.ok((decision.attributes.options as string[]).includes('quiet hours'));
  assert.deepEqual(
    Object.keys(decision.attributes).sort(),
    ['device_class', 'friendly_name', 'icon', 'options'],
    'no fast-changing attributes for the recorder',
  );
  await bed.waitState('sensor.micro_mining_decision_reason', 'hub 3 threads, 1 miner; policy idle_only');
  // a new hashrate moves the hashrate, not the decision: HA keeps the decision's state row as it was
  snap.hub.hashrate = 2_000_000;
  await entities.update(snap);
  await bed.waitState('sensor.micro_mining_hashrate', '2');
  const decisionAfter = await bed.waitState('sensor.micro_mining_decision', 'mining');
  assert.equal(decisionAfter.last_updated, decision.last_updated, 'the decision did not change, so HA wrote nothing');
  snap.hub.hashrate = 1_500_000;
  await entities.update(snap);
  await bed.waitState('sensor.micro_mining_hashrate', '1.5');
  const cost = await bed.waitState('sensor.micro_mining_cost_per_day', '0.252');
  assert.equal(cost.attributes.unit_of_measurement, 'EUR', "the price sensor's currency");
  assert.equal(cost.attributes.friendly_name, 'Micro Mining Estimated cost per day');
  const odds = await bed.waitState('sensor.micro_mining_odds_per_day', '3310000000000');
  assert.equal(odds.attributes.unit_of_measurement, 'to 1');
  assert.equal(odds.attributes.state_class, 'measurement', 'a number: statistics, and no logbook rows');
  const threads = await bed.waitState('number.micro_mining_max_threads');
  assert.equal(Number(threads.state), 3);
  assert.equal(threads.attributes.max, 4);
  const pol = await bed.waitState('select.micro_mining_policy', 'idle_only');
  assert.deepEqual(pol.attributes.options, ['always', 'idle_only', 'surplus']);
  const ett = await bed.waitState('sensor.micro_mining_expected_time_to_block', '9070000000');
  assert.equal(ett.attributes.unit_of_measurement, 'y');
  await bed.waitState('sensor.micro_mining_mode', 'pool');
  // practice mode: the connection says practice
  snap.hub.mode = 'practice';
  await entities.update(snap);
  await bed.waitState('sensor.micro_mining_pool_connection', 'practice');
  snap.hub.mode = 'pool';
  await entities.update(snap);
  await bed.waitState('sensor.micro_mining_pool_connection', 'connected');

  // Worker devices: one of its own (via the hub), one joined to the washer HA already had.
  const reg2 = await until('worker entities registered', async () => {
    const r = await registry();
    return r.some((e) => e.unique_id === 'micro_mining_w_nerd1_status') && r.some((e) => e.unique_id === `micro_mining_w_${workerSlug('washer cpu')}_hashrate`)
      ? r
      : undefined;
  });
  const devs2 = await devices();
  const nerdEntity = reg2.find((e) => e.unique_id === 'micro_mining_w_nerd1_hashrate')!;
  const nerdDev = devs2.find((d) => d.id === nerdEntity.device_id)!;
  assert.equal(nerdDev.name, 'NerdMiner desk');
  assert.equal(nerdDev.via_device_id, hubDev!.id);
  const washerEntity = reg2.find((e) => e.unique_id === `micro_mining_w_${workerSlug('washer cpu')}_hashrate`)!;
  assert.equal(washerEntity.device_id, washer.deviceId, 'the linked worker joined the washer device');
  assert.equal(devs2.find((d) => d.id === washer.deviceId)!.name, 'Washer', 'and did not rename it');
  const status = await bed.waitState('sensor.micro_mining_nerd1_status', 'mining');
  assert.equal(status.attributes.device_class, 'enum');
  const last = await bed.waitState('sensor.micro_mining_nerd1_last_share');
  assert.equal(new Date(last.state).getTime(), Date.UTC(2025, 0, 2, 3, 4, 5));
  // HA found nothing to complain about in our discovery payloads (deprecations, invalid options).
  const logLines = bed.logTail(2000).split('\n');
  console.log(
    `# HA log: ${logLines.length} lines, ${logLines.filter((l) => /WARNING|ERROR/.test(l)).length} warnings/errors (none about micro_mining allowed)`,
  );
  const complaints = logLines.filter((l) => /(WARNING|ERROR)/.test(l) && /mqtt/i.test(l) && /micro_mining|micro-mining/.test(l));
  assert.deepEqual(complaints, []);
});

test('switch.turn_off through HA reaches the command handler; hashrate reads 0', async () => {
  const t0 = Date.now();
  await bed.callService('switch', 'turn_off', { entity_id: 'switch.micro_mining_mining' });
  await bed.waitState('switch.micro_mining_mining', 'off', 5000);
  console.log(`# switch.turn_off -> state off in HA after ${Date.now() - t0} ms`);
  assert.deepEqual(commands.at(-1), { kind: 'mining', on: false });
  await bed.waitState('sensor.micro_mining_hashrate', '0', 5000);
  await bed.callService('switch', 'turn_on', { entity_id: 'switch.micro_mining_mining' });
  await bed.waitState('switch.micro_mining_mining', 'on', 5000);
  await bed.waitState('sensor.micro_mining_hashrate', '1.5', 5000);
});

test('the number entity changes threads; select and button reach the miner', async () => {
  const t0 = Date.now();
  await bed.callService('number', 'set_value', { entity_id: 'number.micro_mining_max_threads', value: 2 });
  await until(
    'threads 2 in HA',
    async () => {
      const s = await bed.waitState('number.micro_mining_max_threads');
      return Number(s.state) === 2 ? s : undefined;
    },
    5000,
  );
  console.log(`# number.set_value -> 2 threads in HA after ${Date.now() - t0} ms`);
  assert.deepEqual(commands.at(-1), { kind: 'threads', threads: 2 });
  assert.equal(snap.hub.maxThreads, 2);
  await bed.callService('select', 'select_option', { entity_id: 'select.micro_mining_policy', option: 'surplus' });
  await bed.waitState('select.micro_mining_policy', 'surplus', 5000);
  assert.deepEqual(commands.at(-1), { kind: 'policy', policy: 'surplus' });
  await bed.callService('button', 'press', { entity_id: 'button.micro_mining_reset_session' });
  await bed.waitState('sensor.micro_mining_shares_accepted', '0', 5000);
  assert.deepEqual(commands.at(-1), { kind: 'reset_session' });
});

test('a vanished worker leaves HA; HA restart (birth message) brings the rest back; stop makes them unavailable', async () => {
  snap.workers = snap.workers.filter((w) => w.id !== 'nerd1');
  await entities.update(snap);
  await until('nerd1 entities removed', async () => {
    const r = await registry();
    return r.some((e) => e.unique_id.startsWith('micro_mining_w_nerd1_')) ? undefined : true;
  });
  const replays = entities.stats.birthReplays;
  await bed.restart();
  await bed.waitState('sensor.micro_mining_hashrate', '1.5', 30_000);
  await bed.waitState('select.micro_mining_policy', 'surplus', 10_000);
  await until('a replay after HA’s birth message', async () => (entities.stats.birthReplays > replays ? true : undefined), 10_000);
  await entities.stop();
  await bed.waitState('sensor.micro_mining_hashrate', 'unavailable', 10_000);
});

// Pure unit tests of the idle classifier (no HA, time passed in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleClassifier, resolveIdleRules, evaluateEntity, type ApplianceEvent, type EntityState, type RegistrySnapshot } from '../../src/ha/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (entity_id: string, state: string, attributes: Record<string, unknown> = {}, last_changed?: string): EntityState => ({ entity_id, state, attributes, last_changed });
const W = { device_class: 'power', unit_of_measurement: 'W' };

function snap(): RegistrySnapshot {
  return {
    devices: [
      { id: 'd_tv', name: 'TV', area_id: 'living', labels: [] },
      { id: 'd_washer', name: 'Washer', area_id: 'laundry', labels: ['lab_noisy'], connections: [] },
      { id: 'd_miner', name: 'NerdMiner', connections: [['mac', 'AA:BB:CC:00:11:22']] },
      { id: 'd_empty', name: 'Bare device' },
      { id: 'd_service', name: 'Sun', entry_type: 'service' },
    ],
    entities: [
      { entity_id: 'media_player.tv', device_id: 'd_tv' },
      { entity_id: 'sensor.washer_power', device_id: 'd_washer' },
      { entity_id: 'switch.washer', device_id: 'd_washer' },
      { entity_id: 'sensor.washer_rssi', device_id: 'd_washer', entity_category: 'diagnostic' },
      { entity_id: 'sensor.miner_hashrate', device_id: 'd_miner' },
      { entity_id: 'sensor.sun', device_id: 'd_service' },
    ],
    areas: [
      { area_id: 'living', name: 'Living Room' },
      { area_id: 'laundry', name: 'Laundry' },
    ],
    labels: [{ label_id: 'lab_noisy', name: 'Noisy' }],
  };
}

function types(evs: ApplianceEvent[], id?: string): string[] {
  return evs.filter((e) => !id || ('applianceId' in e && e.applianceId === id)).map((e) => (e.type === 'busy' ? `busy:${e.status}` : e.type));
}

test('appliances come from devices, with areas, labels and roles; service devices are left out', () => {
  const c = new IdleClassifier(resolveIdleRules({ workers: [{ workerId: 'nerd-1', mac: 'aa-bb-cc-00-11-22' }] }));
  c.setRegistries(snap(), T0);
  const byId = new Map(c.appliances().map((a) => [a.id, a]));
  assert.deepEqual([...byId.keys()].sort(), ['d_empty', 'd_miner', 'd_tv', 'd_washer', 'hub']);
  assert.equal(byId.get('d_tv')!.area, 'Living Room');
  assert.deepEqual(byId.get('d_washer')!.labels, ['lab_noisy']);
  assert.deepEqual(byId.get('d_miner')!.roles, ['worker']);
  assert.equal(byId.get('d_miner')!.workerId, 'nerd-1');
  assert.equal(byId.get('d_miner')!.workerMatchedBy, 'mac');
  assert.deepEqual(byId.get('d_washer')!.roles, ['load']);
  assert.deepEqual(byId.get('hub')!.roles, ['worker']);
  assert.equal(byId.get('d_empty')!.status, 'unknown');
});

test('idle only after the hold time; busy at once; a flicker restarts the hold', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 10 }));
  c.setRegistries(snap(), T0);
  let ev = c.updateState('media_player.tv', s('media_player.tv', 'playing'), T0);
  assert.deepEqual(types(ev, 'd_tv'), ['busy:busy']);
  ev = c.updateState('media_player.tv', s('media_player.tv', 'off'), T0 + 1000);
  assert.deepEqual(types(ev, 'd_tv'), [], 'not idle before the hold time');
  assert.equal(c.nextDeadline(), T0 + 11_000);
  assert.deepEqual(types(c.tick(T0 + 10_999), 'd_tv'), []);
  // flicker: on and off again restarts the hold
  c.updateState('media_player.tv', s('media_player.tv', 'on'), T0 + 5000);
  c.updateState('media_player.tv', s('media_player.tv', 'standby'), T0 + 6000);
  assert.deepEqual(types(c.tick(T0 + 11_000), 'd_tv'), []);
  ev = c.tick(T0 + 16_000);
  assert.deepEqual(types(ev, 'd_tv'), ['idle']);
  assert.equal(c.appliance('d_tv')!.status, 'idle');
  ev = c.updateState('media_player.tv', s('media_player.tv', 'playing'), T0 + 17_000);
  assert.deepEqual(types(ev, 'd_tv'), ['busy:busy']);
});

test('power threshold, power events, and busy beats idle within one appliance', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0, powerThresholdW: 5 }));
  c.setRegistries(snap(), T0);
  c.updateState('switch.washer', s('switch.washer', 'off'), T0);
  let ev = c.updateState('sensor.washer_power', s('sensor.washer_power', '1.5', W), T0 + 1);
  assert.deepEqual(types(ev, 'd_washer'), ['power', 'idle']);
  ev = c.updateState('sensor.washer_power', s('sensor.washer_power', '1.2', { device_class: 'power', unit_of_measurement: 'kW' }), T0 + 2);
  assert.deepEqual(types(ev, 'd_washer'), ['power', 'busy:busy']);
  assert.equal(c.appliance('d_washer')!.watts, 1200);
  ev = c.updateState('sensor.washer_power', s('sensor.washer_power', '0', W), T0 + 3);
  assert.deepEqual(types(ev, 'd_washer'), ['power', 'idle']);
  ev = c.updateState('switch.washer', s('switch.washer', 'on'), T0 + 4);
  assert.deepEqual(types(ev, 'd_washer'), ['busy:busy']);
});

test('unknown and unavailable are never idle; bad power input is logged once and counts as unknown', () => {
  const warnings: string[] = [];
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0 }), { warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`) });
  c.setRegistries(snap(), T0);
  c.updateState('switch.washer', s('switch.washer', 'off'), T0);
  c.updateState('sensor.washer_power', s('sensor.washer_power', '0', W), T0);
  assert.equal(c.appliance('d_washer')!.status, 'idle');
  let ev = c.updateState('sensor.washer_power', s('sensor.washer_power', 'unavailable', W), T0 + 1);
  assert.deepEqual(types(ev, 'd_washer'), ['busy:unknown']);
  ev = c.updateState('sensor.washer_power', s('sensor.washer_power', 'twelve', W), T0 + 2);
  c.updateState('sensor.washer_power', s('sensor.washer_power', '12abc', W), T0 + 3);
  c.updateState('sensor.washer_power', s('sensor.washer_power', 'twelve', W), T0 + 4);
  assert.equal(c.appliance('d_washer')!.status, 'unknown');
  assert.equal(warnings.filter((w) => w.includes('non-numeric power')).length, 2, warnings.join('\n'));
  assert.ok(warnings.some((w) => w.includes('sensor.washer_power')));
  // odd attributes: a non-string unit, attributes missing altogether
  c.updateState('sensor.washer_power', { entity_id: 'sensor.washer_power', state: '3', attributes: { device_class: 'power', unit_of_measurement: 42 } } as EntityState, T0 + 5);
  c.updateState('media_player.tv', { entity_id: 'media_player.tv', state: 'off' } as unknown as EntityState, T0 + 6);
  assert.equal(c.appliance('d_tv')!.status, 'idle');
  assert.ok(warnings.some((w) => w.includes('no entities') && w.includes('d_empty')));
});

test('first sight uses HA last_changed: an appliance off for an hour is idle at once', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 60 }));
  c.setStates([s('media_player.tv', 'off', {}, new Date(T0 - 3_600_000).toISOString())], T0);
  const ev = c.setRegistries(snap(), T0);
  assert.deepEqual(types(ev, 'd_tv'), ['idle']);
});

test('overrides by entity, device, area and label', () => {
  const rules = resolveIdleRules({
    holdSeconds: 0,
    overrides: [
      { match: { area: 'Living Room' }, holdSeconds: 30 },
      { match: { label: 'Noisy' }, powerThresholdW: 50 },
      { match: { entity: 'switch.washer' }, ignore: true },
      { match: { device: 'NerdMiner' }, role: 'load', force: 'busy' },
      { match: { device: 'd_empty' }, ignore: true },
    ],
  });
  const c = new IdleClassifier(rules);
  c.setRegistries(snap(), T0);
  assert.equal(c.appliance('d_empty'), undefined, 'ignored device');
  assert.ok(!c.appliance('d_washer')!.entities.includes('switch.washer'));
  c.updateState('sensor.washer_power', s('sensor.washer_power', '20', W), T0);
  assert.equal(c.appliance('d_washer')!.status, 'idle', '20 W is under the label threshold of 50 W');
  c.updateState('media_player.tv', s('media_player.tv', 'off'), T0);
  assert.notEqual(c.appliance('d_tv')!.status, 'idle', 'area hold of 30 s');
  assert.deepEqual(types(c.tick(T0 + 30_000), 'd_tv'), ['idle']);
  assert.equal(c.appliance('d_miner')!.status, 'busy');
  assert.deepEqual(c.appliance('d_miner')!.roles, ['load']);
});

test('hub load: busy above the limit, idle below it after the hold', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 5, hub: { maxLoadPercent: 40 } }));
  c.setRegistries(snap(), T0);
  assert.equal(c.appliance('hub')!.status, 'unknown');
  assert.deepEqual(types(c.hubLoad(10, T0), 'hub'), []);
  assert.deepEqual(types(c.tick(T0 + 5000), 'hub'), ['idle']);
  assert.deepEqual(types(c.hubLoad(90, T0 + 6000), 'hub'), ['busy:busy']);
  assert.match(c.appliance('hub')!.reason, /hub CPU 90% > 40%/);
  assert.deepEqual(types(c.hubLoad(Number.NaN, T0 + 7000), 'hub'), ['busy:unknown']);
});

test('hub load from an HA sensor, and the power budget inputs', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0, hub: { loadEntity: 'sensor.processor_use' }, budget: { surplusEntity: 'sensor.grid', surplusInverted: true, staticWatts: 300, priceEntity: 'sensor.price' } }));
  c.setRegistries(snap(), T0);
  c.updateState('sensor.processor_use', s('sensor.processor_use', '12'), T0);
  assert.equal(c.appliance('hub')!.status, 'idle');
  const ev = c.updateState('sensor.grid', s('sensor.grid', '-1.5', { unit_of_measurement: 'kW' }), T0);
  assert.deepEqual(ev, [{ type: 'budget', at: T0, budget: { surplusW: 1500, staticW: 300, price: null, priceUnit: null } }]);
  c.updateState('sensor.price', s('sensor.price', '0.31', { unit_of_measurement: 'EUR/kWh' }), T0);
  assert.deepEqual(c.budget(), { surplusW: 1500, staticW: 300, price: 0.31, priceUnit: 'EUR/kWh' });
  c.updateState('sensor.grid', s('sensor.grid', 'unavailable', { unit_of_measurement: 'kW' }), T0);
  assert.equal(c.budget().surplusW, null);
});

test('devices that vanish are gone; the rest keep their status without new events', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0 }));
  c.setRegistries(snap(), T0);
  c.updateState('media_player.tv', s('media_player.tv', 'off'), T0);
  const next = snap();
  next.devices = next.devices.filter((d) => d.id !== 'd_washer');
  const ev = c.setRegistries(next, T0 + 1);
  assert.deepEqual(ev.filter((e) => e.type === 'gone').map((e) => 'applianceId' in e && e.applianceId), ['d_washer']);
  assert.deepEqual(types(ev, 'd_tv'), []);
  assert.equal(c.appliance('d_tv')!.status, 'idle');
});

test('worker matching by explicit device mapping, IP (configuration URL) and name', () => {
  const sn = snap();
  sn.devices.push({ id: 'd_bitaxe', name: 'Bitaxe Gamma', configuration_url: 'http://192.168.1.50/' }, { id: 'd_pc', name: 'Old PC' });
  const c = new IdleClassifier(resolveIdleRules({ workers: [{ workerId: 'w-ip', ip: '192.168.1.50' }, { workerId: 'w-name', name: 'old pc' }, { workerId: 'w-map', deviceId: 'd_tv' }] }));
  c.setRegistries(sn, T0);
  assert.equal(c.appliance('d_bitaxe')!.workerMatchedBy, 'ip');
  assert.equal(c.appliance('d_pc')!.workerId, 'w-name');
  assert.equal(c.appliance('d_tv')!.workerMatchedBy, 'mapping');
  assert.deepEqual(c.appliance('d_tv')!.roles, ['worker', 'load']);
});

test('domain defaults: vacuum docked, idle-time sensor, plain sensors have no opinion', () => {
  const rules = resolveIdleRules({});
  const r = { idleStates: rules.idleStates, powerThresholdW: 5 };
  assert.equal(evaluateEntity(s('vacuum.robo', 'docked'), r, 300).verdict, 'idle');
  assert.equal(evaluateEntity(s('vacuum.robo', 'cleaning'), r, 300).verdict, 'busy');
  assert.equal(evaluateEntity(s('sensor.pc_idle_time', '600', { device_class: 'duration', unit_of_measurement: 's' }), r, 300).verdict, 'idle');
  assert.equal(evaluateEntity(s('sensor.pc_idle_time', '2', { device_class: 'duration', unit_of_measurement: 'min' }), r, 300).verdict, 'busy');
  assert.equal(evaluateEntity(s('sensor.temperature', '21.5', { unit_of_measurement: '°C' }), r, 300).verdict, 'none');
  assert.equal(evaluateEntity(s('sensor.washer_status', 'running'), r, 300).verdict, 'busy');
  assert.equal(evaluateEntity(s('sensor.washer_status', 'idle'), r, 300).verdict, 'idle');
  assert.equal(evaluateEntity(s('weather.home', 'sunny'), r, 300).verdict, 'none');
});

test('bad rules are refused with the field named', () => {
  assert.throws(() => resolveIdleRules({ holdSeconds: -1 }), /holdSeconds/);
  assert.throws(() => resolveIdleRules({ overrides: [{ match: { entity: 'a.b', device: 'x' } }] }), /overrides\.0\.match/);
  assert.throws(() => resolveIdleRules({ workers: [{ workerId: 'x', mac: 'nope' }] }), /workers\.0\.mac/);
  assert.throws(() => resolveIdleRules({ bogus: 1 }), /idle rules/);
});

test('hubLoadMeter gives a percentage', async () => {
  const { hubLoadMeter } = await import('../../src/ha/index.js');
  const meter = hubLoadMeter();
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += i % 7;
  const p = meter();
  assert.ok(x > 0 && p >= 0 && p <= 100, String(p));
});

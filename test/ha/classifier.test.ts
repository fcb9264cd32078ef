// Pure unit tests of the idle classifier (no HA, time passed in).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleClassifier, resolveIdleRules, evaluateEntity, type ApplianceEvent, type EntityState, type RegistrySnapshot } from '../../src/ha/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const s = (entity_id: string, state: string, attributes: Record<string, unknown> = {}, last_changed?: string): EntityState => ({
  entity_id,
  state,
  attributes,
  last_changed,
});
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
      { entity_id: 'sensor.washer_power', device_id: 'd_washer', original_device_class: 'power' },
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
  assert.deepEqual([...byId.keys()].sort(), ['d_miner', 'd_tv', 'd_washer', 'hub']);
  assert.deepEqual(
    c.ignored().map((d) => [d.id, d.reason]),
    [['d_empty', 'no usable entities']],
    'a device without entities is not an appliance',
  );
  assert.equal(byId.get('d_tv')!.area, 'Living Room');
  assert.deepEqual(byId.get('d_washer')!.labels, ['lab_noisy']);
  assert.deepEqual(byId.get('d_miner')!.roles, ['worker']);
  assert.equal(byId.get('d_miner')!.workerId, 'nerd-1');
  assert.equal(byId.get('d_miner')!.workerMatchedBy, 'mac');
  assert.deepEqual(byId.get('d_washer')!.roles, ['load']);
  assert.deepEqual(byId.get('hub')!.roles, ['worker']);
  assert.equal(byId.get('d_washer')!.why, 'sensor.washer_power measures power');
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
  c.updateState(
    'sensor.washer_power',
    { entity_id: 'sensor.washer_power', state: '3', attributes: { device_class: 'power', unit_of_measurement: 42 } } as EntityState,
    T0 + 5,
  );
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
  const c = new IdleClassifier(
    resolveIdleRules({
      holdSeconds: 0,
      hub: { loadEntity: 'sensor.processor_use' },
      budget: { surplusEntity: 'sensor.grid', surplusInverted: true, staticWatts: 300, priceEntity: 'sensor.price' },
    }),
  );
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
  assert.deepEqual(
    ev.filter((e) => e.type === 'gone').map((e) => 'applianceId' in e && e.applianceId),
    ['d_washer'],
  );
  assert.deepEqual(types(ev, 'd_tv'), []);
  assert.equal(c.appliance('d_tv')!.status, 'idle');
});

test('worker matching by explicit device mapping, IP (configuration URL) and name', () => {
  const sn = snap();
  sn.devices.push({ id: 'd_bitaxe', name: 'Bitaxe Gamma', configuration_url: 'http://192.168.1.50/' }, { id: 'd_pc', name: 'Old PC' });
  const c = new IdleClassifier(
    resolveIdleRules({
      workers: [
        { workerId: 'w-ip', ip: '192.168.1.50' },
        { workerId: 'w-name', name: 'old pc' },
        { workerId: 'w-map', deviceId: 'd_tv' },
      ],
    }),
  );
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
  const { hubLoadMeter } = await import('../../src/hashpool/index.js');
  const meter = hubLoadMeter();
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += i % 7;
  const p = meter();
  assert.ok(x > 0 && p >= 0 && p <= 100, String(p));
});

// Issue 15: a device list that looks like a real home. Only devices that do work and draw power
// are appliances; each has a reason; the rest are counted as ignored with a reason.
function home(): { snap: RegistrySnapshot; states: EntityState[] } {
  const dev = (id: string, name: string, area?: string) => ({ id, name, area_id: area ?? null });
  const devices = [
    dev('outside', 'Outside Temperature', 'garden'),
    dev('co2', 'Carbon dioxide', 'living'),
    dev('date', 'Date'),
    dev('time', 'Time'),
    dev('password', 'Password'),
    dev('notifier', 'Notifier'),
    dev('window', 'Kitchen Window', 'kitchen'),
    dev('garage', 'Garage Door'),
    dev('motion', 'Movement Backyard', 'garden'),
    dev('wet', 'Basement Floor Wet'),
    dev('ceiling', 'Ceiling Lights', 'living'),
    dev('fw', 'Firmware'),
    dev('weather', 'Home Weather'),
    dev('hvac', 'Ecobee', 'living'),
    dev('robo', 'Robo Vacuum', 'living'),
    dev('mower', 'Mower', 'garden'),
    dev('fan', 'Living Room Fan', 'living'),
    dev('washer', 'Washer', 'laundry'),
    dev('ev', 'EV Charger'),
    dev('tv', 'TV', 'living'),
    dev('plug', 'Desk Plug', 'office'),
    dev('printer', 'Printer', 'office'),
  ];
  const ent = (entity_id: string, device_id: string) => ({ entity_id, device_id });
  const entities = [
    ent('sensor.outside_temperature', 'outside'),
    ent('sensor.outside_humidity', 'outside'),
    ent('sensor.carbon_dioxide', 'co2'),
    ent('sensor.date', 'date'),
    ent('sensor.time', 'time'),
    ent('text.password', 'password'),
    ent('notify.notifier', 'notifier'),
    ent('binary_sensor.kitchen_window', 'window'),
    ent('cover.garage_door', 'garage'),
    ent('binary_sensor.movement_backyard', 'motion'),
    ent('binary_sensor.basement_floor_wet', 'wet'),
    ent('light.ceiling', 'ceiling'),
    ent('update.firmware', 'fw'),
    ent('weather.home', 'weather'),
    ent('climate.ecobee', 'hvac'),
    ent('sensor.ecobee_temperature', 'hvac'),
    ent('vacuum.robo', 'robo'),
    ent('lawn_mower.mower', 'mower'),
    ent('fan.living_room', 'fan'),
    ent('light.living_room_fan_light', 'fan'),
    ent('sensor.washer_status', 'washer'),
    ent('binary_sensor.washer_door', 'washer'),
    ent('binary_sensor.ev_charging', 'ev'),
    ent('media_player.tv', 'tv'),
    ent('sensor.desk_plug_power', 'plug'),
    ent('sensor.printer_state', 'printer'),
  ];
  const st = (id: string, state: string, attributes: Record<string, unknown> = {}) => s(id, state, attributes);
  const states = [
    st('sensor.outside_temperature', '4.5', { device_class: 'temperature', unit_of_measurement: '°C' }),
    st('sensor.outside_humidity', '80', { device_class: 'humidity', unit_of_measurement: '%' }),
    st('sensor.carbon_dioxide', '540', { device_class: 'carbon_dioxide', unit_of_measurement: 'ppm' }),
    st('sensor.date', '2026-12-01', { device_class: 'date' }),
    st('sensor.time', '12:00'),
    st('text.password', 'secret'),
    st('notify.notifier', 'unknown'),
    st('binary_sensor.kitchen_window', 'on', { device_class: 'window' }),
    st('cover.garage_door', 'open', { device_class: 'garage' }),
    st('binary_sensor.movement_backyard', 'on', { device_class: 'motion' }),
    st('binary_sensor.basement_floor_wet', 'off', { device_class: 'moisture' }),
    st('light.ceiling', 'on'),
    st('update.firmware', 'off'),
    st('weather.home', 'sunny'),
    st('climate.ecobee', 'heat'),
    st('sensor.ecobee_temperature', '21', { device_class: 'temperature', unit_of_measurement: '°C' }),
    st('vacuum.robo', 'docked'),
    st('lawn_mower.mower', 'mowing'),
    st('fan.living_room', 'off'),
    st('light.living_room_fan_light', 'on'),
    st('sensor.washer_status', 'Ready', { device_class: 'enum', options: ['ready', 'washing', 'rinsing', 'spinning', 'finished'] }),
    st('binary_sensor.washer_door', 'on', { device_class: 'door' }),
    st('binary_sensor.ev_charging', 'on', { device_class: 'battery_charging' }),
    st('media_player.tv', 'off'),
    st('sensor.desk_plug_power', '3', { device_class: 'power', unit_of_measurement: 'W' }),
    st('sensor.printer_state', 'printing'),
  ];
  return { snap: { devices, entities, areas: [{ area_id: 'living', name: 'Living Room' }], labels: [] }, states };
}

test('a real home: only devices that do work are appliances, each with a reason; the rest are ignored with a reason', () => {
  const { snap: sn, states } = home();
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0 }));
  c.setStates(states, T0);
  c.setRegistries(sn, T0);
  const apps = new Map(c.appliances().map((a) => [a.id, a]));
  assert.deepEqual([...apps.keys()].sort(), ['ev', 'fan', 'hub', 'hvac', 'mower', 'plug', 'printer', 'robo', 'tv', 'washer']);
  const ignored = new Map(c.ignored().map((d) => [d.id, d]));
  assert.deepEqual([...ignored.keys()].sort(), [
    'ceiling',
    'co2',
    'date',
    'fw',
    'garage',
    'motion',
    'notifier',
    'outside',
    'password',
    'time',
    'weather',
    'wet',
    'window',
  ]);
  assert.equal(apps.size - 1 + ignored.size, sn.devices.length, 'every device is either an appliance or ignored');
  for (const a of apps.values()) assert.ok(a.why && a.why.length > 3, `${a.id} has a reason: ${a.why}`);
  for (const d of ignored.values()) assert.match(d.reason, /no power sensor|no usable/, d.id);
  assert.match(ignored.get('ceiling')!.reason, /include_lights/);
  // Status and the entity that decided it.
  assert.equal(apps.get('washer')!.status, 'idle', apps.get('washer')!.reason);
  assert.match(apps.get('washer')!.reason, /sensor\.washer_status=Ready/);
  assert.ok(!apps.get('washer')!.entities.includes('binary_sensor.washer_door'), 'a door sensor does not vote');
  assert.equal(apps.get('ev')!.status, 'busy');
  assert.equal(apps.get('hvac')!.status, 'busy', 'heating');
  assert.equal(apps.get('robo')!.status, 'idle');
  assert.equal(apps.get('mower')!.status, 'busy');
  assert.equal(apps.get('fan')!.status, 'idle', 'the fan light does not vote: lights are not appliances');
  assert.equal(apps.get('printer')!.status, 'busy');
  assert.equal(apps.get('plug')!.status, 'idle');
  for (const a of apps.values()) if (a.id !== 'hub') assert.deepEqual(a.roles, ['load'], a.id);
});

test('lights count when included; a status sensor that shows up later makes its device an appliance; an override can add a device', () => {
  const { snap: sn, states } = home();
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0, includeLights: true, overrides: [{ match: { device: 'Kitchen Window' }, role: 'load' }] }));
  c.setStates(
    states.filter((x) => x.entity_id !== 'sensor.printer_state'),
    T0,
  );
  c.setRegistries(sn, T0);
  assert.equal(c.appliance('ceiling')!.status, 'busy', 'a light that is on');
  assert.equal(c.appliance('fan')!.status, 'busy', 'the fan light votes now');
  assert.equal(c.appliance('printer'), undefined, 'no state yet: not known as a status sensor');
  assert.ok(c.appliance('window'), 'the override adds the window');
  assert.match(c.appliance('window')!.why!, /override/);
  const ev = c.updateState('sensor.printer_state', s('sensor.printer_state', 'idle'), T0 + 1);
  assert.equal(c.appliance('printer')!.status, 'idle');
  assert.ok(ev.some((e) => e.type === 'idle' && e.applianceId === 'printer'));
  assert.ok(!c.ignored().some((d) => d.id === 'printer'));
});

test('docs/appliances.md states every entry of the one rule table', async () => {
  const { readFileSync } = await import('node:fs');
  const { APPLIANCE_RULES } = await import('../../src/ha/index.js');
  const doc = readFileSync(new URL('../../docs/appliances.md', import.meta.url), 'utf8');
  const words = [
    ...Object.keys(APPLIANCE_RULES.workingDomains),
    ...Object.keys(APPLIANCE_RULES.notAppliances),
    ...APPLIANCE_RULES.workingBinaryClasses,
    ...APPLIANCE_RULES.powerSensorClasses,
  ];
  for (const w of words) assert.ok(doc.includes(`\`${w}\``) || doc.includes(`\`${w.replace(/_.*/, '_*')}\``), `docs/appliances.md names ${w}`);
  assert.match(doc, /include_lights/);
});

test('binary sensors without a class: they vote when their name says in use, or on a worker; a tamper sensor does not make a device an appliance', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0, workers: [{ workerId: 'office-pc', deviceId: 'pc' }] }));
  const sn: RegistrySnapshot = {
    devices: [
      { id: 'pc', name: 'Office PC' },
      { id: 'dw', name: 'Dishwasher' },
      { id: 'box', name: 'Alarm box' },
    ],
    entities: [
      { entity_id: 'binary_sensor.office_pc_in_use', device_id: 'pc' },
      { entity_id: 'binary_sensor.office_pc_screen', device_id: 'pc' },
      { entity_id: 'binary_sensor.dishwasher_running', device_id: 'dw' },
      { entity_id: 'binary_sensor.alarm_box_tamper', device_id: 'box' },
    ],
    areas: [],
    labels: [],
  };
  c.setStates(
    [
      s('binary_sensor.office_pc_in_use', 'off'),
      s('binary_sensor.office_pc_screen', 'off'),
      s('binary_sensor.dishwasher_running', 'on'),
      s('binary_sensor.alarm_box_tamper', 'off'),
    ],
    T0,
  );
  c.setRegistries(sn, T0);
  assert.equal(c.appliance('pc')!.status, 'idle');
  assert.deepEqual(
    c.appliance('pc')!.entities.sort(),
    ['binary_sensor.office_pc_in_use', 'binary_sensor.office_pc_screen'],
    'a worker computer: its own sensors vote',
  );
  const ev = c.updateState('binary_sensor.office_pc_in_use', s('binary_sensor.office_pc_in_use', 'on'), T0 + 1);
  assert.ok(ev.some((e) => e.type === 'busy' && e.applianceId === 'pc'));
  assert.equal(c.appliance('dw')!.status, 'busy');
  assert.match(c.appliance('dw')!.why!, /in use/);
  assert.equal(c.appliance('box'), undefined);
});

test('a status sensor that reads unknown for a while (HA or the device restarting) keeps its device an appliance', () => {
  const c = new IdleClassifier(resolveIdleRules({ holdSeconds: 0 }));
  const sn: RegistrySnapshot = {
    devices: [{ id: 'robo', name: 'Robo' }],
    entities: [{ entity_id: 'sensor.robo_status', device_id: 'robo' }],
    areas: [],
    labels: [],
  };
  c.setStates([s('sensor.robo_status', 'cleaning')], T0);
  c.setRegistries(sn, T0);
  assert.equal(c.appliance('robo')!.status, 'busy');
  // HA restarts: states come back unknown first, the registries are read again
  c.setStates([s('sensor.robo_status', 'unknown')], T0 + 1);
  c.setRegistries(sn, T0 + 1);
  assert.ok(c.appliance('robo'), 'still an appliance');
  assert.equal(c.appliance('robo')!.status, 'unknown');
  c.updateState('sensor.robo_status', s('sensor.robo_status', 'docked'), T0 + 2);
  assert.equal(c.appliance('robo')!.status, 'idle');
});

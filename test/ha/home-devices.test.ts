// Issue 15 on the real HA Core of the test bed: a device set that looks like a home (climate,
// vacuum, mower, fan, lights, covers, inputs, notifier, update, environment and security sensors,
// a washer, an EV charger, a plug, a printer, a NerdMiner), announced through MQTT discovery and
// set by state. Only devices a person calls appliances or workers are appliances, each with a
// reason; every other device is counted as ignored; the counts match the list.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startHaTestBed, type HaTestBed, type MqttDeviceSpec } from '../support/habed/index.js';
import { HaAppliances } from '../../src/ha/index.js';

const cmd = (id: string, key: string) => ({ command_topic: `habed/${id}/${key}/set` });

// expect: the role list, or null for a device that is not an appliance.
const HOME: (MqttDeviceSpec & { expect: string[] | null; states: Record<string, string>; status?: string })[] = [
  {
    id: 'h_outside',
    name: 'Outside Temperature',
    expect: null,
    entities: [
      { component: 'sensor', key: 't', deviceClass: 'temperature', unit: '°C' },
      { component: 'sensor', key: 'h', deviceClass: 'humidity', unit: '%' },
    ],
    states: { t: '4.5', h: '81' },
  },
  {
    id: 'h_co2',
    name: 'Carbon dioxide',
    expect: null,
    entities: [{ component: 'sensor', key: 'co2', deviceClass: 'carbon_dioxide', unit: 'ppm' }],
    states: { co2: '560' },
  },
  { id: 'h_date', name: 'Date', expect: null, entities: [{ component: 'sensor', key: 'd', deviceClass: 'date' }], states: { d: '2026-12-01' } },
  { id: 'h_password', name: 'Password', expect: null, entities: [{ component: 'text', key: 'pw', extra: cmd('h_password', 'pw') }], states: { pw: 'hunter2' } },
  { id: 'h_notifier', name: 'Notifier', expect: null, entities: [{ component: 'notify', key: 'n', extra: cmd('h_notifier', 'n') }], states: {} },
  { id: 'h_window', name: 'Kitchen Window', expect: null, entities: [{ component: 'binary_sensor', key: 'w', deviceClass: 'window' }], states: { w: 'ON' } },
  {
    id: 'h_garage',
    name: 'Garage Door',
    expect: null,
    entities: [{ component: 'cover', key: 'c', deviceClass: 'garage', extra: cmd('h_garage', 'c') }],
    states: { c: 'open' },
  },
  { id: 'h_motion', name: 'Movement Backyard', expect: null, entities: [{ component: 'binary_sensor', key: 'm', deviceClass: 'motion' }], states: { m: 'ON' } },
  {
    id: 'h_wet',
    name: 'Basement Floor Wet',
    expect: null,
    entities: [{ component: 'binary_sensor', key: 'w', deviceClass: 'moisture' }],
    states: { w: 'OFF' },
  },
  { id: 'h_ceiling', name: 'Ceiling Light', expect: null, entities: [{ component: 'light', key: 'l', extra: cmd('h_ceiling', 'l') }], states: { l: 'ON' } },
  {
    id: 'h_setpoint',
    name: 'Boiler Setpoint',
    expect: null,
    entities: [{ component: 'number', key: 'n', extra: cmd('h_setpoint', 'n') }],
    states: { n: '55' },
  },
  { id: 'h_firmware', name: 'Firmware', expect: null, entities: [{ component: 'update', key: 'u' }], states: { u: '1.0.0' } },
  {
    id: 'h_thermostat',
    name: 'Thermostat',
    expect: ['load'],
    status: 'busy',
    entities: [
      {
        component: 'climate',
        key: 'c',
        name: null,
        extra: { mode_state_topic: 'habed/h_thermostat/c/state', mode_command_topic: 'habed/h_thermostat/c/set', modes: ['off', 'heat'] },
      },
      { component: 'sensor', key: 't', deviceClass: 'temperature', unit: '°C' },
    ],
    states: { c: 'heat', t: '21' },
  },
  {
    id: 'h_fan',
    name: 'Bedroom Fan',
    expect: ['load'],
    status: 'idle',
    entities: [
      { component: 'fan', key: 'f', name: null, extra: cmd('h_fan', 'f') },
      { component: 'light', key: 'l', extra: cmd('h_fan', 'l') },
    ],
    states: { f: 'OFF', l: 'ON' },
  },
  {
    id: 'h_washer',
    name: 'Washer',
    expect: ['load'],
    status: 'busy',
    entities: [
      { component: 'sensor', key: 'status', deviceClass: 'enum', extra: { options: ['ready', 'washing', 'spinning', 'finished'] } },
      { component: 'binary_sensor', key: 'door', deviceClass: 'door' },
    ],
    states: { status: 'washing', door: 'OFF' },
  },
  {
    id: 'h_ev',
    name: 'EV Charger',
    expect: ['load'],
    status: 'idle',
    entities: [{ component: 'binary_sensor', key: 'charging', deviceClass: 'battery_charging' }],
    states: { charging: 'OFF' },
  },
  {
    id: 'h_plug',
    name: 'Desk Plug',
    expect: ['load'],
    status: 'busy',
    entities: [
      { component: 'switch', key: 'relay', deviceClass: 'outlet' },
      { component: 'sensor', key: 'power', deviceClass: 'power', unit: 'W' },
    ],
    states: { relay: 'ON', power: '120' },
  },
  { id: 'h_printer', name: 'Printer', expect: ['load'], status: 'idle', entities: [{ component: 'sensor', key: 'state' }], states: { state: 'idle' } },
  {
    id: 'h_nerd',
    name: 'NerdMiner',
    expect: ['worker'],
    connections: [['mac', '24:0a:c4:00:00:99']],
    entities: [{ component: 'sensor', key: 'hashrate', unit: 'kH/s' }],
    states: { hashrate: '55' },
  },
];

let bed: HaTestBed;
let svc: HaAppliances;
const ids: Record<string, { deviceId: string; entityIds: Record<string, string> }> = {};

before(async () => {
  bed = await startHaTestBed();
  const office = await bed.ensureArea('Office');
  for (const spec of HOME) ids[spec.id] = await bed.announceDevice(spec);
  await bed.updateDevice(ids.h_plug.deviceId, { area_id: office });
  for (const spec of HOME) for (const [key, value] of Object.entries(spec.states)) await bed.publishState(spec.id, key, value);
  // Wait until HA shows the states that decide the verdicts.
  await bed.waitState(ids.h_washer.entityIds.status, 'washing');
  await bed.waitState(ids.h_plug.entityIds.power, '120');
  await bed.waitState(ids.h_printer.entityIds.state, 'idle');
  await bed.waitState(ids.h_thermostat.entityIds.c, 'heat');
  await bed.waitState(ids.h_ev.entityIds.charging, 'off');
  await bed.waitState(ids.h_fan.entityIds.f, 'off');
  svc = new HaAppliances({
    url: bed.url,
    token: bed.token,
    heartbeatMs: 2_000,
    log: pino({ level: 'silent' }),
    rules: { holdSeconds: 0, workers: [{ workerId: 'nerd-1', mac: '24:0A:C4:00:00:99' }] },
  });
  await svc.start();
  await svc.waitSynced(30_000);
});

after(async () => {
  await svc?.stop();
  await bed?.stop();
});

test('a home-like device set on real HA: appliances and workers only, each with a reason; the rest counted as ignored', () => {
  const apps = new Map(svc.appliances().map((a) => [a.id, a]));
  const ignored = new Map(svc.ignored().map((d) => [d.id, d]));
  for (const spec of HOME) {
    const id = ids[spec.id].deviceId;
    if (spec.expect === null) {
      assert.ok(!apps.has(id), `${spec.name} is not an appliance (got ${JSON.stringify(apps.get(id)?.why)})`);
      assert.ok(ignored.has(id), `${spec.name} is counted as ignored`);
      assert.match(ignored.get(id)!.reason, /no power sensor|no usable/, spec.name);
    } else {
      const a = apps.get(id);
      assert.ok(a, `${spec.name} is an appliance (ignored because: ${ignored.get(id)?.reason})`);
      assert.deepEqual(a.roles, spec.expect, spec.name);
      assert.ok(a.why && a.why.length > 5, `${spec.name} has a reason`);
      if (spec.status) assert.equal(a.status, spec.status, `${spec.name}: ${a.reason}`);
    }
  }
  assert.equal(apps.get(ids.h_plug.deviceId)!.area, 'Office');
  assert.ok(!apps.get(ids.h_washer.deviceId)!.entities.includes(ids.h_washer.entityIds.door), 'the washer door does not vote');
  // The counts a user sees match the list (the status page and the appliances node use these).
  const st = svc.status();
  assert.equal(st.appliances, svc.appliances().length);
  assert.equal(st.ignored, svc.ignored().length);
  const ours = HOME.filter((h) => h.expect === null).length;
  assert.ok(st.ignored >= ours, `${st.ignored} ignored >= ${ours}`);
});

test('the washer finishing (an enum state) and the plug drawing less make them idle', async () => {
  await bed.publishState('h_washer', 'status', 'finished');
  await bed.publishState('h_plug', 'relay', 'OFF');
  await bed.publishState('h_plug', 'power', '1.5');
  const deadline = Date.now() + 15_000;
  const status = (k: string) => svc.appliances().find((a) => a.id === ids[k].deviceId)?.status;
  while ((status('h_washer') !== 'idle' || status('h_plug') !== 'idle') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(status('h_washer'), 'idle');
  assert.equal(status('h_plug'), 'idle');
  assert.match(svc.appliances().find((a) => a.id === ids.h_plug.deviceId)!.reason, /power=1\.5W<5W/);
});

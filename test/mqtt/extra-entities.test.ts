// Entities a hub part adds (ExtraEntity: the power target, an AxeOS miner's sensors and controls),
// on a real Mosquitto: they are in the device's discovery payload beside the built-in ones (a key a
// built-in entity has, or a malformed one, is left out), their states are published, and a command
// to one reaches the hub as { kind: 'extra', key, worker?, value }; a retained or oversized command,
// and one for a key that takes no commands, never does.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttEntities, topics, DEFAULT_ENTITY_OPTIONS, type MinerCommand, type ExtraEntity } from '../../src/mqtt/index.js';
import { snapshot, worker } from './fixtures/snapshot.js';

let broker: Mosquitto;
before(async () => {
  broker = await startMosquitto();
});
after(() => broker?.stop());

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('extra entities: published beside the built-in ones; their commands reach the hub; bad ones do not', async () => {
  const nodeId = 'extra_mm';
  const t = topics({ ...DEFAULT_ENTITY_OPTIONS, nodeId, baseTopic: nodeId });
  const hubExtra: ExtraEntity[] = [
    {
      key: 'power_target',
      platform: 'number',
      name: 'Power target',
      config: { min: 0, max: 500, step: 1, unit_of_measurement: 'W', device_class: 'power' },
      state: '300',
      command: true,
    },
    { key: 'power_planned', platform: 'sensor', name: 'Power planned', config: { unit_of_measurement: 'W', device_class: 'power' }, state: '280' },
    // a built-in key and a malformed one are left out
    { key: 'hashrate', platform: 'sensor', name: 'Impostor', config: {}, state: '1' },
    { key: 'Bad Key!', platform: 'sensor', name: 'Bad', config: {}, state: '1' },
  ];
  const rigExtra: ExtraEntity[] = [
    { key: 'frequency', platform: 'select', name: 'Frequency', config: { options: ['400', '490', '525'] }, state: '490', command: true },
    { key: 'chip_temperature', platform: 'sensor', name: 'Chip temperature', config: { unit_of_measurement: '°C' }, state: '61.5' },
  ];
  const snap = snapshot({ extra: hubExtra }, [worker('rig', { extra: rigExtra })]);
  const applied: MinerCommand[] = [];
  // a command left retained on the broker arrives at subscribe time as retained: never obeyed
  const early = await mqtt.connectAsync(broker.url);
  await early.publishAsync(t.hubCommand('power_target'), '999', { retain: true, qos: 1 });
  await early.endAsync();
  const e = new MqttEntities({ url: broker.url, nodeId, readBackQuietMs: 100, onCommand: async (c) => void applied.push(c) });
  await e.start(snap);
  const client = await mqtt.connectAsync(broker.url);
  try {
    const seen = new Map<string, string>();
    client.on('message', (topic, payload) => seen.set(topic, payload.toString()));
    await client.subscribeAsync([`${DEFAULT_ENTITY_OPTIONS.discoveryPrefix}/device/#`, `${nodeId}/#`]);
    await until('discovery', () => seen.has(t.hubDevice) && seen.has(t.workerDevice('rig')));
    const hub = JSON.parse(seen.get(t.hubDevice) ?? '{}') as { cmps: Record<string, Record<string, unknown>> };
    assert.equal(hub.cmps.power_target?.p, 'number');
    assert.equal(hub.cmps.power_target?.command_topic, t.hubCommand('power_target'));
    assert.equal(hub.cmps.power_target?.unit_of_measurement, 'W');
    assert.equal(hub.cmps.power_planned?.p, 'sensor');
    assert.notEqual(hub.cmps.hashrate?.name, 'Impostor', 'a built-in key stays the built-in entity');
    assert.equal(
      Object.keys(hub.cmps).some((k) => k.includes(' ')),
      false,
    );
    const rig = JSON.parse(seen.get(t.workerDevice('rig')) ?? '{}') as { cmps: Record<string, Record<string, unknown>> };
    assert.deepEqual(rig.cmps.frequency?.options, ['400', '490', '525']);
    await until('states', () => seen.get(t.hubState('power_target')) === '300' && seen.get(t.workerState('rig', 'chip_temperature')) === '61.5');

    await client.publishAsync(t.hubCommand('power_target'), ' 250 ');
    await client.publishAsync(t.workerCommand('rig', 'frequency'), '525');
    await until('commands', () => applied.length >= 2);
    assert.deepEqual(applied[0], { kind: 'extra', key: 'power_target', value: '250' });
    assert.deepEqual(applied[1], { kind: 'extra', key: 'frequency', worker: 'rig', value: '525' });

    // never: an oversized command, one for a sensor, one for an unknown worker
    await client.publishAsync(t.hubCommand('power_target'), 'x'.repeat(65));
    await client.publishAsync(t.hubCommand('power_planned'), '1');
    await client.publishAsync(t.workerCommand('nobody', 'frequency'), '400');
    // a marker command that does arrive: everything before it has been handled
    await client.publishAsync(t.hubCommand('power_target'), '123');
    await until('marker', () => applied.some((c) => c.kind === 'extra' && c.value === '123'));
    assert.deepEqual(
      applied.map((c) => (c.kind === 'extra' ? `${c.worker ?? 'hub'}:${c.key}=${c.value}` : c.kind)),
      ['hub:power_target=250', 'rig:frequency=525', 'hub:power_target=123'],
    );
    await client.publishAsync(t.hubCommand('power_target'), '', { retain: true });
  } finally {
    await client.endAsync();
    await e.stop();
  }
});

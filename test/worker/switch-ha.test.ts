// A real miner on a smart plug obeys through Home Assistant: on the real HA test bed, an MQTT
// switch announced by discovery is the plug (this test plays the plug's firmware: it answers the
// command topic with the new state), a plain Stratum miner is linked to the plug's device, and the
// hub (real Hub, HA connected) switches it with switch.turn_off / turn_on as its plan says, with a
// minimum off time longer than the plan's own minimum pause. Prints the time from the plan to the switch state changing in HA.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Hub } from '../../src/app/hub.js';
import { startTestHub } from '../support/hub.js';
import { startHaTestBed, type AnnouncedDevice, type HaTestBed, type MqttDeviceSpec } from '../support/habed/index.js';
import { LinePeer, handshake } from '../stratum/helpers.js';
import { until } from './support.js';

const PLUG: MqttDeviceSpec = {
  id: 'garage_plug',
  name: 'Garage Miner Plug',
  manufacturer: 'Acme',
  model: 'Plug P1',
  entities: [
    { component: 'switch', key: 'relay', deviceClass: 'outlet' },
    { component: 'sensor', key: 'power', deviceClass: 'power', unit: 'W', extra: { state_class: 'measurement' } },
  ],
};

let bed: HaTestBed;
let plug: AnnouncedDevice;
let firmware: mqtt.MqttClient;
let hub: Hub | null = null;
let miner: LinePeer | null = null;
const dir = mkdtempSync(join(tmpdir(), 'mm-switch-'));

before(async () => {
  bed = await startHaTestBed();
  plug = await bed.announceDevice(PLUG);
  await bed.publishState(PLUG.id, 'relay', 'ON');
  await bed.publishState(PLUG.id, 'power', '28');
  // the plug's firmware: a command on the command topic switches the relay and reports it
  firmware = await mqtt.connectAsync(`mqtt://127.0.0.1:${bed.mqtt!.port}`);
  await firmware.subscribeAsync(`habed/${PLUG.id}/relay/set`);
  firmware.on('message', (_topic, payload) => {
    const on = payload.toString() === 'ON';
    void firmware.publishAsync(plug.stateTopics.relay, on ? 'ON' : 'OFF', { retain: true });
    void firmware.publishAsync(plug.stateTopics.power, on ? '28' : '0', { retain: true });
  });
});

after(async () => {
  await miner?.close();
  await hub?.stop();
  await firmware?.endAsync();
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a paused miner on a plug is switched off through HA, and on again after its minimum off time', async () => {
  hub = await startTestHub({
    dataDir: dir,
    policy: 'idle_only',
    args: [
      '--kernel',
      'js',
      '--idle-hold',
      '1',
      '--ha-url',
      bed.url,
      '--ha-token',
      bed.token,
      '--worker-mappings',
      JSON.stringify([{ worker: 'garage-miner', device: plug.deviceId }]),
    ],
    overrides: { tickMs: 500, switchMinOnS: 0, switchMinOffS: 35 },
  });
  miner = await LinePeer.connect(hub.server!.address().port);
  await handshake(miner, { user: 'garage-miner' });
  const h = hub;
  await until('the plug is linked to the miner', () => h.ha?.appliances().find((a) => a.workerId === 'garage-miner'), 30_000);
  // idle_only: the plug reads 28 W because the miner runs on it; that does not make the miner busy
  await until('the plan lets the miner work', () => h.planner.lastPlan?.workers.find((w) => w.id === 'garage-miner')?.action === 'work', 30_000);
  const plugNow = await until(
    "the plug reads the miner's 28 W (busy, by its power)",
    () => h.ha!.appliances().find((a) => a.workerId === 'garage-miner' && a.watts === 28 && a.status === 'busy'),
    30_000,
  );
  assert.equal(plugNow.name, PLUG.name);
  await new Promise((r) => setTimeout(r, 1000)); // a few plans go by
  assert.equal(h.planner.lastPlan?.workers.find((w) => w.id === 'garage-miner')?.action, 'work', 'its own plug being busy does not pause it');

  const t0 = performance.now();
  await h.command({ kind: 'mining', on: false });
  await bed.waitState(plug.entityIds.relay, 'off', 20_000);
  const offMs = performance.now() - t0;
  console.log(`# switched miner: plan pause -> ${plug.entityIds.relay} off in HA: ${offMs.toFixed(0)} ms`);
  const row = h.obedience.report(h.manager.stats.snapshot()).find((w) => w.name === 'garage-miner');
  assert.equal(row?.by, 'switch');
  assert.equal(row?.asked, 'pause');
  assert.match(row!.did, /switched off \(switch\.garage_miner_plug/);

  // the plan resumes it after its own minimum pause (30 s); the plug keeps its longer minimum off
  // time (35 s here) and is switched on only then
  await h.command({ kind: 'mining', on: true });
  await until('the plan lets the miner work again', () => h.planner.lastPlan?.workers.find((w) => w.id === 'garage-miner')?.action === 'work', 60_000);
  const planMs = performance.now() - t0;
  if (planMs < 34_000)
    assert.match(h.obedience.report(h.manager.stats.snapshot()).find((w) => w.name === 'garage-miner')!.did, /on when its minimum off time has passed/);
  await bed.waitState(plug.entityIds.relay, 'on', 60_000);
  const onMs = performance.now() - t0;
  console.log(
    `# switched miner: plan resume at ${(planMs / 1000).toFixed(1)} s -> on in HA at ${(onMs / 1000).toFixed(1)} s after the pause (minimum off time 35 s)`,
  );
  assert.ok(onMs >= 35_000, `the minimum off time was kept (${onMs.toFixed(0)} ms)`);
});

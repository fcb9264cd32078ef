// The test bed itself: a real HA Core starts, is onboarded, takes a token, sees MQTT devices,
// restarts, and leaves no process behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHaTestBed, connectHaWs, HA_VERSION, type HaTestBed } from '../support/habed/index.js';

let bed: HaTestBed;
const t0 = Date.now();
before(async () => {
  bed = await startHaTestBed();
  console.log(`# HA ${bed.version} up and onboarded on ${bed.url} in ${Date.now() - t0} ms`);
});
after(async () => {
  await bed?.stop();
});

test('HA runs the pinned version, onboarding is done and the token works', async () => {
  assert.equal(bed.version, HA_VERSION);
  const cfg = await bed.rest<{ version: string; state: string; components: string[] }>('GET', '/api/config');
  assert.equal(cfg.version, HA_VERSION);
  assert.equal(cfg.state, 'RUNNING');
  assert.ok(cfg.components.includes('mqtt'), 'MQTT integration loaded');
  const onboarding = await fetch(`${bed.url}/api/onboarding`).then((r) => r.json() as Promise<{ step: string; done: boolean }[]>);
  assert.ok(
    onboarding.every((s) => s.done),
    JSON.stringify(onboarding),
  );
  await assert.rejects(connectHaWs(bed.wsUrl, 'not-a-token', 5_000), /auth_invalid/);
});

test('an MQTT-announced device shows up with its entities, and its state follows MQTT', async () => {
  const spec = {
    id: 'habed_smoke',
    name: 'Smoke Plug',
    connections: [['mac', '02:00:00:00:00:01']] as [string, string][],
    entities: [{ component: 'sensor', key: 'power', deviceClass: 'power', unit: 'W' }],
  };
  const dev = await bed.announceDevice(spec);
  await bed.publishState('habed_smoke', 'power', '42.5');
  const id = dev.entityIds.power;
  let state = '';
  for (let i = 0; i < 50 && state !== '42.5'; i++) {
    state = (await bed.rest<{ state: string }>('GET', `/api/states/${id}`)).state;
    if (state !== '42.5') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(state, '42.5');
  const devices = await bed.call<{ id: string; connections: [string, string][] }[]>('config/device_registry/list');
  assert.deepEqual(devices.find((d) => d.id === dev.deviceId)?.connections, [['mac', '02:00:00:00:00:01']]);
});

test('restart keeps the token, the port and the devices', async () => {
  const before = (await bed.call<{ id: string }[]>('config/device_registry/list')).map((d) => d.id).sort();
  await bed.restart();
  const cfg = await bed.rest<{ state: string }>('GET', '/api/config');
  assert.equal(cfg.state, 'RUNNING');
  const afterIds = (await bed.call<{ id: string }[]>('config/device_registry/list')).map((d) => d.id).sort();
  assert.deepEqual(afterIds, before);
});

test('stop leaves no process and no mount behind', async () => {
  const configDir = bed.configDir;
  const b = bed;
  bed = undefined as unknown as HaTestBed;
  await b.stop();
  const { readdirSync, readFileSync } = await import('node:fs');
  const left = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(configDir.split('/habed/').pop()!);
      } catch {
        return false;
      }
    });
  assert.deepEqual(left, []);
  assert.ok(!readFileSync('/proc/mounts', 'utf8').includes('/habed/'), 'no test bed mount left');
});

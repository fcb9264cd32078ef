// On the real HA test bed (HA Core + its Mosquitto + HA's MQTT integration): a stand-in AxeOS
// miner (v2.14; no miner hardware here) mining on a real hub from 127.0.0.7 gets its AxeOS
// sensors on its own device page in HA (entity registry: same device as its Mining switch), with
// the measured power as HA's state; from HA: the Frequency select moves the device's frequency,
// the switch "Steered by Micro Mining" turns steering on, a budget step down lowers the frequency,
// the Mining switch off pauses it through AxeOS and on resumes it; at stop its user's settings
// come back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/app/config.js';
import { Hub, PARTS } from '../../src/app/hub.js';
import type { HubContext } from '../../src/app/hub/context.js';
import { testHubArgs } from '../support/hub.js';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

interface RegEntity {
  entity_id: string;
  unique_id: string;
  platform: string;
  device_id: string | null;
  original_device_class?: string | null;
  entity_category?: string | null;
}

const WORKER = 'shed-bitaxe';
const dir = mkdtempSync(join(tmpdir(), 'mm-axeos-ha-'));
let bed: HaTestBed;
let device: AxeosStandIn;
let hub: Hub | null = null;
let ctx: HubContext | null = null;

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms ${last ? `(${(last as Error).message})` : ''}\n${bed.logTail(20)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  bed = await startHaTestBed();
  device = await new AxeosStandIn({ generation: 'v2.14', host: '127.0.0.7', hostname: 'bitaxe-shed', mac: 'AA:BB:CC:00:00:07' }).start();
});

after(async () => {
  await hub?.stop();
  await device?.stop();
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a Bitaxe stand-in on the real HA test bed: its sensors on its device page; select, steering, a budget step, pause and resume from HA; its settings back at stop', async (t) => {
  const config = loadConfig({
    argv: testHubArgs({ dataDir: dir, mqtt: bed.mqtt!.url, args: ['--practice-difficulty', '0.00001', '--kernel', 'js'] }),
    env: {},
  });
  const overrides = {
    tickMs: 500,
    axeos: {
      allowLoopback: true,
      probePort: device.port,
      probeBackoffMs: 100,
      pollIntervalMs: 1000,
      minChangeIntervalMs: 0,
      client: { timeoutMs: 3000, backoffMs: 50 },
    },
  };
  hub = new Hub(config, overrides, [
    ...PARTS,
    (c) => {
      ctx = c;
      return { name: 'test probe', start: async () => {}, stop: async () => {} };
    },
  ]);
  await hub.start();
  await device.mine({ port: hub.server!.address().port, host: '127.0.0.1', user: WORKER, suggestDifficulty: 0.00001 });

  // the device page: every AxeOS entity on the same HA device as the worker's own Mining switch
  const keys = [
    'axeos_power',
    'axeos_temp',
    'axeos_vr_temp',
    'axeos_frequency',
    'axeos_core_voltage',
    'axeos_fan',
    'axeos_best_difficulty',
    'axeos_overheat',
    'axeos_power_fault',
    'axeos_frequency_select',
    'axeos_steered',
  ];
  const slug = WORKER.replace(/-/g, '_');
  const reg = await until('the AxeOS entities in HA’s entity registry', async () => {
    const r = await bed.call<RegEntity[]>('config/entity_registry/list');
    const mine = r.filter((e) => e.platform === 'mqtt' && e.unique_id.startsWith(`micro_mining_w_${slug}`));
    return keys.every((k) => mine.some((e) => e.unique_id.endsWith(`_${k}`))) && mine.some((e) => e.unique_id.endsWith('_mining')) ? mine : null;
  });
  const by = (k: string) => reg.find((e) => e.unique_id.endsWith(`_${k}`))!;
  const deviceId = by('mining').device_id;
  assert.ok(deviceId, 'the worker’s device');
  for (const k of keys) assert.equal(by(k).device_id, deviceId, `${k} on the miner’s device page`);
  const overheat = await bed.waitState(by('axeos_overheat').entity_id, 'off', 30_000);
  assert.equal(overheat.attributes.device_class, 'problem');
  const power = await until('HA shows the measured power', async () => {
    const s = await bed.waitState(by('axeos_power').entity_id, undefined, 5000);
    return Number(s.state) > 10 ? s : null;
  });
  assert.equal(power.attributes.unit_of_measurement, 'W');
  assert.equal(power.attributes.device_class, 'power');
  assert.match(String(power.attributes.friendly_name), /Power \(measured\)$/);
  const freqSelect = by('axeos_frequency_select').entity_id;
  const sel = await bed.waitState(freqSelect, '525', 30_000);
  assert.deepEqual(sel.attributes.options, device.asic.f.map(String));

  // the Frequency select from HA: a listed value moves the device
  await bed.callService('select', 'select_option', { entity_id: freqSelect, option: '490' });
  await until('the stand-in runs at 490 MHz', () => device.frequency === 490);
  await bed.waitState(freqSelect, '490', 30_000);

  // steering on from HA, then a budget step down (the power-target handle)
  await bed.callService('switch', 'turn_on', { entity_id: by('axeos_steered').entity_id });
  await bed.waitState(by('axeos_steered').entity_id, 'on', 30_000);
  const axeos = ctx!.handle('axeos')!;
  await until('its reading while hashing', () => axeos.powerReading(WORKER));
  axeos.setBudget(WORKER, 14);
  await until('a lower listed frequency for 14 W', () => device.frequency < 490);
  assert.ok(device.asic.f.includes(device.frequency), `${device.frequency} MHz is listed`);
  await bed.waitState(freqSelect, String(device.frequency), 30_000);

  // its Mining switch off in HA: the plan pauses it, through AxeOS (v2.14), not its power
  const mining = by('mining').entity_id;
  await bed.callService('switch', 'turn_off', { entity_id: mining });
  await until('paused through AxeOS', () => device.paused && device.posts.includes('/api/system/pause'));
  await bed.callService('switch', 'turn_on', { entity_id: mining });
  await until('resumed through AxeOS', () => !device.paused && device.posts.includes('/api/system/resume'));

  // stop: the user's own settings (490 MHz, picked in HA; 1150 mV) come back
  await hub.stop();
  hub = null;
  assert.equal(device.frequency, 490);
  assert.equal(device.coreVoltage, 1150);
  assert.equal(device.paused, false);
  for (const p of device.patches) for (const k of Object.keys(p)) assert.ok(k === 'frequency' || k === 'coreVoltage', `the hub sent ${k}`);
  t.diagnostic(`HA ${bed.version}: PATCHes ${JSON.stringify(device.patches)}, posts ${JSON.stringify(device.posts)}`);
});

// The power target on the real HA test bed (HA Core + Mosquitto + HA's MQTT integration):
// 1. a template power sensor in kW over an input_number (a plain "surplus template"), stepped
//    through a profile with input_number.set_value; the hub's threads follow it; kW is read as
//    kW; a negative reading is target 0 W; an absurd one (10 MW) and `unavailable` are no figure
//    (the last one kept for a short gap, then no mining, the plan says so); every figure labelled;
// 2. the hub's "Power target" number entity, discovered by HA over MQTT, set from HA
//    (number.set_value): the hub's threads follow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hub } from '../../src/app/hub.js';
import { startTestHub } from '../support/hub.js';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';

const EXTRA = `
input_number:
  pv_surplus:
    name: PV surplus
    min: -20000
    max: 20000
    step: 1
    initial: 0
    unit_of_measurement: W
template:
  - sensor:
      - name: Mining target
        unique_id: mm_power_mining_target
        unit_of_measurement: kW
        device_class: power
        state: "{{ (states('input_number.pv_surplus') | float(0)) / 1000 }}"
`;

let bed: HaTestBed;
const dir = mkdtempSync(join(tmpdir(), 'mm-power-ha-'));
before(async () => {
  bed = await startHaTestBed({ extraConfig: EXTRA });
  await bed.waitState('sensor.mining_target', undefined, 60_000);
});
after(async () => {
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, get: () => T | undefined | null | false, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type PowerView = {
  target_w: number | null;
  planned_w: number;
  measured_w: number | null;
  source: string;
  status: string;
  state: string;
  measured_how: string;
  workers: { name: string; how: string; measured_w: number | null }[];
};
const power = (hub: Hub) => (hub.status() as unknown as { power?: PowerView }).power;
const hubReason = (hub: Hub) => hub.planner.lastPlan?.workers.find((w) => w.id === 'hub')?.reason ?? '';
const setSurplus = (w: number) => bed.callService('input_number', 'set_value', { entity_id: 'input_number.pv_surplus', value: w });

test('a template surplus sensor in kW stepping through a profile: the hub threads follow; bad readings are no figure, said so', async () => {
  const hub = await startTestHub({
    threads: 2,
    policy: 'always',
    dataDir: join(dir, 'sensor'),
    args: ['--headroom', '0', '--ha-url', bed.url, '--ha-token', bed.token, '--power-target-sensor', 'sensor.mining_target'],
  });
  try {
    // 0 W: nothing mines
    let p = await until('the sensor read (0 kW)', () => power(hub)?.target_w === 0 && power(hub));
    assert.equal(p.source, 'sensor.mining_target');
    assert.equal(hub.pool.threads, 0);
    // 5 kW: read as 5000 W (above the fleet: both threads)
    await setSurplus(5000);
    p = await until('5 kW -> both threads', () => power(hub)?.target_w === 5000 && hub.pool.threads === 2 && power(hub));
    assert.match(p.state, /reads 5(\.0)? kW = 5000 W/);
    assert.equal(p.status, 'capped');
    const perThread = p.planned_w / 2;
    for (const w of p.workers) assert.ok(['measured', 'plug', 'declared', 'estimated'].includes(w.how), `${w.name}: ${w.how}`);
    assert.match(p.measured_how, /\d+ (measured|estimated)/);
    // one thread's worth: down to one thread at once
    const one = Math.ceil(perThread * 1.3);
    await setSurplus(one);
    await until(`${one} W -> one thread`, () => power(hub)?.target_w === one && hub.pool.threads === 1);
    assert.match(hubReason(hub), /1 of 2 threads/);
    // negative surplus: target 0 W; the thread is inside its minimum on time: held, one step over, said so
    await setSurplus(-500);
    p = await until('negative -> 0 W', () => power(hub)?.status === 'negative' && power(hub));
    assert.equal(p.target_w, 0);
    assert.equal(hub.pool.threads, 1);
    assert.match(hubReason(hub), /minimum on time/);
    // absurd (10 MW = 10000 kW, written over the template's state): no figure, the last one held for a short gap
    await bed.setState('sensor.mining_target', '10000.5', { unit_of_measurement: 'kW', device_class: 'power' });
    p = await until('absurd -> held', () => power(hub)?.status === 'held' && power(hub));
    assert.match(p.state, /refused as absurd/);
    // unavailable: still no figure; after the hold (60 s) no mining, and the plan says why
    await bed.setState('sensor.mining_target', 'unavailable', {});
    await until('unavailable -> no figure, no mining', () => power(hub)?.status === 'unavailable' && hub.pool.threads === 0, 150_000);
    assert.match(hubReason(hub), /no mining on a missing figure/);
    assert.match(power(hub)?.state ?? '', /sensor\.mining_target is unavailable/);
    // back: the template renders again on the next input change
    await setSurplus(0);
    await until('back to 0 W', () => power(hub)?.target_w === 0 && power(hub)?.status === 'ok');
  } finally {
    await hub.stop();
  }
});

test("the hub's Power target number, discovered by HA over MQTT, set from HA: the hub threads follow", async () => {
  const hub = await startTestHub({
    threads: 2,
    policy: 'always',
    mqtt: `mqtt://127.0.0.1:${bed.mqtt!.port}`,
    dataDir: join(dir, 'number'),
    args: ['--headroom', '0', '--ha-url', bed.url, '--ha-token', bed.token, '--power-target', 'number'],
  });
  try {
    // available (the hub online) with no target yet: unknown; its range is 0 to the fleet's maximum (rounded up to 100 W)
    const target = await bed.waitState('number.micro_mining_power_target', 'unknown', 90_000);
    assert.equal(target.attributes.min, 0);
    assert.equal(target.attributes.max, 100);
    await bed.callService('number', 'set_value', { entity_id: 'number.micro_mining_power_target', value: 100 });
    await until('set 100 W in HA -> both threads', () => power(hub)?.target_w === 100 && hub.pool.threads === 2);
    const planned = await bed.waitState('sensor.micro_mining_power_planned', String(power(hub)?.planned_w), 90_000);
    assert.equal(planned.attributes.unit_of_measurement, 'W');
    await bed.callService('number', 'set_value', { entity_id: 'number.micro_mining_power_target', value: 0 });
    await until('set 0 W in HA -> one thread held', () => power(hub)?.target_w === 0 && hub.pool.threads === 1);
    assert.match(hubReason(hub), /minimum on time/);
    const how = await bed.waitState('sensor.micro_mining_power_measured_how', undefined, 30_000);
    assert.match(how.state, /measured|estimated/);
  } finally {
    await hub.stop();
  }
});

test("target = surplus from a grid meter (import positive, in kW): the miners' own draw is given back", async () => {
  await bed.setState('sensor.grid_power', '-0.5', { unit_of_measurement: 'kW', device_class: 'power' });
  const hub = await startTestHub({
    threads: 2,
    policy: 'always',
    dataDir: join(dir, 'surplus'),
    args: [
      '--headroom',
      '0',
      '--ha-url',
      bed.url,
      '--ha-token',
      bed.token,
      '--power-target',
      'surplus',
      '--power-sensor',
      'sensor.grid_power',
      '--power-sensor-inverted',
    ],
  });
  try {
    // 500 W exported, nothing mining yet: target 500 W (above this fleet: both threads)
    let p = await until('surplus read', () => power(hub)?.target_w !== null && power(hub)?.target_w !== undefined && hub.pool.threads === 2 && power(hub));
    assert.equal(p.source, 'surplus (sensor.grid_power)');
    assert.match(p.state, /surplus: sensor\.grid_power reads -0\.5 kW = -500 W, counted the other way/);
    // the meter now sees the mining: export down by the threads' draw; the target gives it back
    const drawW = p.planned_w;
    await bed.setState('sensor.grid_power', String(-(500 - drawW) / 1000), { unit_of_measurement: 'kW', device_class: 'power' });
    p = await until('mining draw given back', () => {
      const q = power(hub);
      return q && /mining draw/.test(q.state) && !/\+ 0 W mining draw/.test(q.state) && q;
    });
    assert.match(p.state, /\+ \d+ W mining draw = \d+ W/);
    // export (500 W - the draw) + the draw given back (the threads' estimate; planned in whole watts)
    assert.ok(Math.abs((p.target_w ?? 0) - 500) <= 2, `target ${p.target_w} W: the export plus the mining's own draw (${drawW} W planned)`);
    assert.equal(hub.pool.threads, 2, 'mining does not chase its own tail');
  } finally {
    await hub.stop();
  }
});

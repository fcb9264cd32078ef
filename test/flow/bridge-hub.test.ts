// Issue 10.5 at the hub: the MQTT bridge is off unless a bridge key is set; with one, a command
// from any MQTT client without the key changes nothing, and a thread cap beyond the hub's cores
// is applied (and shown, on the bridge and in the HA entities' state) as the cores. A real hub
// (practice, no editor) and a real Mosquitto.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Hub } from '../../src/app/hub.js';
import { testHub } from '../support/hub.js';
import type { HubStats } from '../../src/flow/index.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';

const KEY = 'hub-bridge-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'mm-bridge-hub-'));
let broker: Mosquitto;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function hubWith(extra: string[], base: string): Hub {
  return testHub({
    dataDir: join(dir, base),
    stratum: false,
    mqtt: broker.url,
    threads: 1,
    cores: 2,
    args: ['--kernel', 'js', '--hub-max-load', '100', ...extra],
    overrides: { tickMs: 500 },
  });
}

/** Everything retained under `prefix`, seen for certain: a marker published after subscribing comes after every retained message. */
async function retainedUnder(c: MqttClient, prefix: string): Promise<string[]> {
  const topics: string[] = [];
  const marker = `mm-test-marker/${Math.random().toString(16).slice(2)}`;
  let done = false;
  const on = (t: string) => {
    if (t === marker) done = true;
    else if (t.startsWith(prefix)) topics.push(t);
  };
  c.on('message', on);
  await c.subscribeAsync([`${prefix}#`, marker], { qos: 1 });
  await c.publishAsync(marker, 'x', { qos: 1 });
  await until('marker back', () => done);
  c.off('message', on);
  await c.unsubscribeAsync([`${prefix}#`, marker]);
  return topics;
}

test('without a bridge key the bridge is off: nothing under micro-mining/bridge/, commands there change nothing', async () => {
  const hub = hubWith([], 'off');
  const c = await mqtt.connectAsync(broker.url);
  try {
    await hub.start();
    await c.publishAsync('micro-mining/bridge/control/set', JSON.stringify({ action: 'stop' }), { qos: 1 });
    // the hub's own MQTT entities are up (its discovery is retained), the bridge is not
    await until('entities announced', () => hub.status().mqttConnected === true);
    assert.deepEqual(await retainedUnder(c, 'micro-mining/bridge/'), []);
    assert.notEqual(hub.minerSnapshot().hub.mining, false, 'not paused by the command');
  } finally {
    await c.endAsync();
    await hub.stop();
  }
});

test('with --bridge-key: a keyless command is refused, a keyed one obeyed; threads 1024 is applied and shown as 2 (the cores)', async () => {
  const hub = hubWith(['--bridge-key', KEY], 'on');
  const c = await mqtt.connectAsync(broker.url);
  let stats: HubStats | null = null;
  c.on('message', (t, b) => {
    if (t === 'micro-mining/bridge/stats') stats = JSON.parse(b.toString()) as HubStats;
  });
  try {
    await hub.start();
    await c.subscribeAsync('micro-mining/bridge/stats', { qos: 1 });
    await until('bridge online', () => stats !== null);
    await c.publishAsync('micro-mining/bridge/control/set', JSON.stringify({ action: 'threads', threads: 0 }), { qos: 1 });
    await c.publishAsync('micro-mining/bridge/control/set', JSON.stringify({ key: KEY, action: 'threads', threads: 1024 }), { qos: 1 });
    await until('cap applied', () => hub.minerSnapshot().hub.maxThreads === 2);
    // the keyed cap, clamped to the cores, is what the bridge and the HA entities show
    await until('published', () => (stats as HubStats | null)?.manual.maxThreads === 2);
    assert.equal(hub.status().maxThreads, 2);
    assert.equal(hub.minerSnapshot().hub.maxThreadsLimit, 2, 'the HA number keeps its maximum');
  } finally {
    await c.endAsync();
    await hub.stop();
  }
});

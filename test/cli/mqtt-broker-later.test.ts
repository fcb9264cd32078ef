// Issue 24 item 8: `--mqtt` at a broker that does not answer (yet) no longer ends the hub with a
// FATAL: the hub runs, one warning names the broker (no credentials) and the fix, /api/status says
// MQTT is not connected, and once a real Mosquitto starts on that port the entities appear.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort, startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { HubProcess } from './hub-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-mqtt-later-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, limitMs = 60_000): Promise<T> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('--mqtt at a closed port: the hub runs, one warning naming the broker and the fix; the entities appear when Mosquitto starts (real CLI, real Mosquitto)', async () => {
  const port = await freePort();
  const hub = new HubProcess(
    [
      '--data-dir',
      join(dir, 'data'),
      '--threads',
      '0',
      '--no-node-red',
      '--stratum-port',
      '0',
      '--status-port',
      '0',
      '--mqtt',
      `mqtt://user:s3cret-pw@127.0.0.1:${port}`,
    ],
    { HOME: dir, MM_LOG_FORMAT: 'pretty' },
  );
  let broker: Mosquitto | undefined;
  let client: mqtt.MqttClient | undefined;
  try {
    await hub.waitFor(/hub running/);
    await hub.waitFor(/cannot reach the MQTT broker/);
    assert.doesNotMatch(hub.out, /FATAL|could not start/, hub.out.slice(-2000));
    assert.equal(hub.child.exitCode, null, 'the hub keeps running');
    const warning = hub.out.split('\n').filter((l) => /cannot reach the MQTT broker/.test(l));
    assert.equal(warning.length, 1, `one warning, got:\n${warning.join('\n')}`);
    assert.match(warning[0], new RegExp(`mqtt://127\\.0\\.0\\.1:${port}`));
    assert.match(warning[0], /is the broker running\?.*drop --mqtt for the embedded broker, or --no-mqtt/);
    assert.doesNotMatch(hub.out, /s3cret-pw/, 'the password is never logged');
    const before = await hub.apiStatus();
    assert.equal(before.mqttConnected, false);
    assert.match(await (await fetch(`${await hub.statusUrl()}/`)).text(), /MQTT: not connected \(retrying\)/);

    // the broker comes (the Mosquitto add-on starting after us): the entities appear
    broker = await startMosquitto({ port, username: 'user', password: 's3cret-pw' });
    client = await mqtt.connectAsync(broker.url, { username: 'user', password: 's3cret-pw' });
    const configs: string[] = [];
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/config') && payload.length) configs.push(topic);
    });
    await client.subscribeAsync('homeassistant/#');
    await until('the discovery configs', () => configs.length > 0 || undefined, 90_000);
    await until('mqttConnected true', async () => (await hub.apiStatus()).mqttConnected === true || undefined, 60_000);
    assert.ok(
      configs.some((t) => t.startsWith('homeassistant/device/')),
      configs.join(', '),
    );
    // the retries every 2 s while Mosquitto started were not each named: at most one a minute
    assert.equal(hub.out.split('\n').filter((l) => /cannot reach the MQTT broker/.test(l)).length, 1, 'repeated at most once a minute');
  } finally {
    await client?.endAsync(true);
    const code = await hub.stop();
    await broker?.stop();
    assert.equal(code, 0, hub.out.slice(-2000));
  }
});

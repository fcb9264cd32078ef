// Home Assistant devices for miners on the local endpoint (issue 10, item 2), end to end: the hub
// (standalone, practice jobs) publishing to a real Mosquitto; one Stratum connection authorizes
// 300 worker names. No device appears before a name's first accepted share; then at most the cap
// (32 by default), counted in the broker's retained discovery configs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { testHub } from '../support/hub.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { LinePeer, handshake, mineShares, type Msg } from '../stratum/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-devices-'));
let broker: Mosquitto;
before(async () => {
  broker = await startMosquitto();
});
after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The worker device configs retained on the broker now (all retained messages are in before a sentinel on the same connection). */
async function workerDevices(url: string): Promise<string[]> {
  const c = await mqtt.connectAsync(url, { clientId: `count-${process.pid}-${Math.random().toString(16).slice(2)}` });
  try {
    const found = new Map<string, string>();
    const sentinel = `mm-test/sentinel/${Math.random().toString(16).slice(2)}`;
    const done = new Promise<void>((resolve) => {
      c.on('message', (topic, payload) => {
        if (topic === sentinel) resolve();
        else found.set(topic, payload.toString());
      });
    });
    await c.subscribeAsync(['homeassistant/device/+/config', sentinel], { qos: 1 });
    await c.publishAsync(sentinel, 'x', { qos: 1 });
    await done;
    return [...found].filter(([t, p]) => /\/micro_mining_w_/.test(t) && p.length > 0).map(([t]) => t);
  } finally {
    await c.endAsync();
  }
}

test('one connection authorizing 300 names creates 0 HA devices until shares; then at most the cap (32)', async () => {
  const hub = testHub({ dataDir: dir, mqtt: broker.url, args: ['--kernel', 'js'], overrides: { tickMs: 500 } });
  assert.equal(hub.config.stratum.maxWorkerDevices, 32, 'the default cap');
  await hub.start();
  try {
    const peer = await LinePeer.connect(hub.server!.address().port);
    const h = await handshake(peer, { user: 'rig-0', suggest: 1e-5 });
    const replies: Msg[] = await Promise.all(Array.from({ length: 300 }, (_, i) => peer.call('mining.authorize', [`rig-${i}`, 'x'])));
    const ok = replies.filter((r) => r.result === true).length;
    assert.equal(ok, 32);
    assert.ok(
      replies.filter((r) => r.result !== true).every((r) => (r.error as unknown[])[0] === 24 && /worker limit reached/.test(String((r.error as unknown[])[1]))),
    );
    // the hub publishes what it has: no miner has a share, so no device
    await hub.entities!.update(hub.minerSnapshot());
    assert.deepEqual(await workerDevices(broker.url), []);
    // a share for each authorized name (mined for the job at the suggested difficulty)
    const d = h.difficulty;
    for (let i = 0; i < 32; i++) {
      const en2 = (i + 1).toString(16).padStart(h.extranonce2Size * 2, '0');
      const [s] = mineShares(h.job, h.extranonce1, en2, d);
      const r = await peer.call('mining.submit', [`rig-${i}`, h.job.jobId, en2, h.job.ntime, s.nonce]);
      assert.equal(r.result, true, JSON.stringify(r.error));
    }
    await hub.entities!.update(hub.minerSnapshot());
    const devices = await workerDevices(broker.url);
    console.log(`# 300 names authorized on one connection: 32 accepted, ${devices.length} HA devices after a share each`);
    assert.equal(devices.length, 32);
    await peer.close();
  } finally {
    await hub.stop();
  }
});

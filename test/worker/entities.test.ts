// Each worker's HA entities through a real Mosquitto: power and energy sensors, the plan's
// decision for it as a sensor published only when it changes, and its own Mining switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startTestHub } from '../support/hub.js';
import { startMosquitto } from '../support/mosquitto.js';
import { LinePeer, handshake } from '../stratum/helpers.js';
import { LastJobMiner } from './last-job-miner.js';
import { until } from './support.js';

test('a worker device gets power, energy, a plan decision published only when it changes, and a Mining switch', async () => {
  const broker = await startMosquitto();
  const sub = await mqtt.connectAsync(broker.url);
  const seen = new Map<string, string[]>();
  sub.on('message', (topic, payload) => seen.set(topic, [...(seen.get(topic) ?? []), payload.toString()]));
  await sub.subscribeAsync(['micro_mining/worker/#', 'homeassistant/device/+/config']);
  const hub = await startTestHub({ mqtt: broker.url, args: ['--worker-power', '[{"worker":"garage-bitaxe","watts":15}]'], overrides: { tickMs: 200 } });
  const peer = await LinePeer.connect(hub.server!.address().port);
  let miner: LastJobMiner | null = null;
  try {
    const h = await handshake(peer, { user: 'garage-bitaxe', suggest: 0.00001 });
    miner = new LastJobMiner(peer, 'garage-bitaxe', h.extranonce1, h.extranonce2Size, h, null);
    miner.start();
    // the slug is the worker name, made topic-safe (and unique)
    const topic = (k: string) => [...seen.keys()].find((t) => new RegExp(`^micro_mining/worker/garage_bitaxe[a-z0-9_]*/${k}$`).test(t)) ?? '';
    const last = (k: string) => seen.get(topic(k))?.at(-1);
    await until("the worker's power and decision in MQTT", () => last('power') === '15' && last('decision') === 'work', 60_000);
    const cfg = JSON.parse([...seen.entries()].find(([t]) => /micro_mining_w_garage_bitaxe[a-z0-9_]*\/config$/.test(t))![1].at(-1)!) as {
      cmps: Record<string, Record<string, unknown>>;
    };
    assert.equal(cfg.cmps.power.device_class, 'power');
    assert.equal(cfg.cmps.power.unit_of_measurement, 'W');
    assert.equal(cfg.cmps.energy.device_class, 'energy');
    assert.equal(cfg.cmps.energy.state_class, 'total_increasing');
    assert.deepEqual(cfg.cmps.decision.options, ['work', 'pause']);
    await until('energy counted', () => Number(last('energy')) > 0, 30_000);

    // a few refreshes go by: the decision was published once
    const n0 = seen.get(topic('decision'))!.length;
    await until('more power/energy refreshes', () => (seen.get(topic('energy'))?.length ?? 0) >= 3, 30_000);
    assert.equal(seen.get(topic('decision'))!.length, n0, 'an unchanged decision is not published again');
    // its own Mining switch in HA: off pauses this worker whatever else the plan says
    assert.equal(last('mining'), 'ON');
    await sub.publishAsync(`${topic('mining')}/set`, 'OFF');
    await until('the decision turns to pause', () => last('decision') === 'pause', 30_000);
    assert.equal(seen.get(topic('decision'))!.length, n0 + 1);
    assert.match(last('decision_reason') ?? '', /Mining switch is off in Home Assistant/);
    await until('the switch shows off', () => last('mining') === 'OFF', 30_000);
    assert.equal(hub.status().workers.find((w) => w.name === 'garage-bitaxe')?.asked, 'pause');
    // a bad payload is refused and changes nothing
    await sub.publishAsync(`${topic('mining')}/set`, 'MAYBE');
    await until('the bad command is counted', () => hub.entities!.stats.commandsRejected >= 1, 30_000);
    assert.equal(last('mining'), 'OFF');
  } finally {
    await miner?.stop();
    await peer.close();
    await hub.stop();
    await sub.endAsync();
    await broker.stop();
  }
});

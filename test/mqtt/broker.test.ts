// The embedded aedes broker: what `micro-mining start` runs when no broker is configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startEmbeddedBroker, MqttEntities, topics, DEFAULT_ENTITY_OPTIONS } from '../../src/mqtt/index.js';
import { snapshot } from './fixtures/snapshot.js';
import { Spy } from './fixtures/spy.js';

test('embedded broker on loopback: entities publish, retained configs read back, commands round-trip, stop leaves nothing', async () => {
  const b = await startEmbeddedBroker({ port: 0 });
  try {
    assert.equal(b.host, '127.0.0.1');
    assert.ok(b.port > 0);
    const commands: string[] = [];
    const e = new MqttEntities({ url: b.url, readBackQuietMs: 100, onCommand: (c) => void commands.push(c.kind) });
    await e.start(snapshot());
    const t = topics(DEFAULT_ENTITY_OPTIONS);
    const retained = await Spy.retained(b.url, '#');
    assert.ok(retained.get(t.hubDevice)?.includes('"cmps"'));
    assert.equal(retained.get(t.availability), 'online');
    const c = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 });
    await c.publishAsync(t.hubCommand('reset_session'), 'PRESS', { qos: 1 });
    const deadline = Date.now() + 3000;
    while (commands.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(commands, ['reset_session']);
    await c.endAsync();
    await e.stop();
  } finally {
    await b.stop();
  }
  await assert.rejects(mqtt.connectAsync(b.url, { reconnectPeriod: 0, connectTimeout: 1000 }), /ECONNREFUSED/);
});

test('embedded broker with credentials refuses others', async () => {
  const b = await startEmbeddedBroker({ port: 0, username: 'u', password: 'p' });
  try {
    const ok = await mqtt.connectAsync(b.url, { reconnectPeriod: 0, username: 'u', password: 'p' });
    await ok.endAsync();
    await assert.rejects(mqtt.connectAsync(b.url, { reconnectPeriod: 0, username: 'u', password: 'nope' }), /Bad username or password|Not authorized/i);
    await assert.rejects(mqtt.connectAsync(b.url, { reconnectPeriod: 0 }), /Bad username or password|Not authorized/i);
  } finally {
    await b.stop();
  }
});

test('embedded broker: a taken port and a bad port give clear errors', async () => {
  const a = await startEmbeddedBroker({ port: 0 });
  try {
    await assert.rejects(startEmbeddedBroker({ port: a.port }), /cannot listen on 127\.0\.0\.1:\d+.*EADDRINUSE: the port is in use/);
  } finally {
    await a.stop();
  }
  await assert.rejects(startEmbeddedBroker({ port: 70000 }), /port 70000/);
});

// Issue 24 item 13: MQTT commands under a flood, on a real Mosquitto. Commands are coalesced per
// topic (the last value wins), the queue is bounded, the log is bounded (a flood is one line with
// its count), and a handler slower than the timeout is not warned about when it applies.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import pino from 'pino';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttEntities, topics, DEFAULT_ENTITY_OPTIONS, type MinerCommand, type MinerSnapshot } from '../../src/mqtt/index.js';
import { snapshot, worker } from './fixtures/snapshot.js';
import { Spy } from './fixtures/spy.js';

let broker: Mosquitto;
const cleanups: Array<() => Promise<void>> = [];
before(async () => {
  // the subscriber's queue must hold the whole flood: the test asserts on the last message
  broker = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0'] });
});
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await broker?.stop();
});

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** A pino logger writing into an array (the destination the test counts), at the production level. */
function capture(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

/** Waits until `cond` holds, polling, bounded by `ms`. */
async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let seq = 0;
/** Entities with a miner stand-in that applies commands and publishes, as the hub does. */
function harness(s0: MinerSnapshot, extra: Partial<ConstructorParameters<typeof MqttEntities>[0]> = {}) {
  const nodeId = `flood${++seq}_mm`;
  const t = topics({ ...DEFAULT_ENTITY_OPTIONS, nodeId, baseTopic: nodeId });
  const { logger, lines } = capture();
  const applied: MinerCommand[] = [];
  const snap = structuredClone(s0);
  const e: MqttEntities = new MqttEntities({
    url: broker.url,
    nodeId,
    readBackQuietMs: 100,
    logger,
    onCommand: async (c) => {
      applied.push(c);
      if (c.kind === 'threads') snap.hub.maxThreads = c.threads;
      if (c.kind === 'policy') snap.hub.policy = c.policy;
      await e.update(structuredClone(snap));
    },
    ...extra,
  });
  cleanups.push(() => e.stop());
  return { e, t, lines, applied, snap, nodeId };
}

async function publisher(): Promise<mqtt.MqttClient> {
  const pub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  cleanups.push(() => pub.endAsync());
  return pub;
}

test('5,000 max_threads commands: the last value is applied, the queue holds one entry, the log a few lines', async () => {
  const s0 = snapshot({ maxThreads: 3, maxThreadsLimit: 4 });
  const h = harness(s0);
  await h.e.start(s0);
  const live = await Spy.start(broker.url, h.t.hubState('max_threads'));
  cleanups.push(() => live.stop());
  const startLines = h.lines.length;
  const rss0 = process.memoryUsage().rss;
  const pub = await publisher();
  const N = 5000;
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < N - 1; i++) sends.push(pub.publishAsync(h.t.hubCommand('max_threads'), String(i % 2 === 0 ? 1 : 4), { qos: 1 }));
  sends.push(pub.publishAsync(h.t.hubCommand('max_threads'), '2', { qos: 1 })); // the last value
  await Promise.all(sends);
  await until('every command received', () => h.e.stats.commandsAccepted === N);
  await until('the command queue drained', () => h.e.commandQueue.idle);
  await live.waitFor((m) => m.payload === '2' && !m.retain, 30_000, 0, 'max_threads=2 published');
  const rss1 = process.memoryUsage().rss;

  assert.deepEqual(h.applied.at(-1), { kind: 'threads', threads: 2 }, 'the last value wins');
  assert.equal(h.snap.hub.maxThreads, 2);
  const st = h.e.stats;
  assert.equal(h.applied.length + st.commandsCoalesced, N, 'every command either applied or replaced by a later one');
  assert.ok(h.applied.length < N / 2, `${h.applied.length} of ${N} applied: most were coalesced`);
  assert.equal(st.commandQueuePeak, 1, 'one topic: one waiting entry at most');
  assert.equal(st.commandsDropped, 0);
  const retained = await Spy.retained(broker.url, h.t.hubState('max_threads'));
  assert.equal(retained.get(h.t.hubState('max_threads')), '2');

  await h.e.stop(); // writes the open window's flood line
  const lines = h.lines.slice(startLines);
  const floods = lines.filter((l) => /MQTT command flood/.test(l.msg));
  console.log(
    `# ${N} commands: ${h.applied.length} applied, ${st.commandsCoalesced} coalesced; ${lines.length} log lines; rss ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rss1 / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const l of floods) console.log(`#   ${l.msg}`);
  assert.ok(lines.length <= 16, `${lines.length} log lines for ${N} commands:\n${lines.map((l) => l.msg).join('\n')}`);
  assert.ok(floods.length >= 1, 'the flood is written, with a count');
  const counted = floods.reduce((n, l) => n + Number(l.commands), 0);
  assert.ok(counted > 0 && counted <= N, `the flood lines count ${counted} commands`);
  assert.equal(lines.filter((l) => /took more than/.test(l.msg)).length, 0, 'no slow warning for commands that were applied');
  assert.deepEqual(
    lines.filter((l) => l.level >= 40 && !/MQTT command flood/.test(l.msg)),
    [],
    'no other warning',
  );
});

test('a trickle of commands (each sent after the last was taken): applied at most 10 a second after a burst of 10, the last value wins', async () => {
  const s0 = snapshot({ maxThreads: 3, maxThreadsLimit: 4 });
  const h = harness(s0);
  await h.e.start(s0);
  const pub = await publisher();
  const N = 300;
  const t0 = Date.now();
  for (let i = 0; i < N; i++) await pub.publishAsync(h.t.hubCommand('max_threads'), i === N - 1 ? '2' : String(i % 2 === 0 ? 1 : 4), { qos: 1 });
  await until('every command received', () => h.e.stats.commandsAccepted === N);
  await until('the command queue drained', () => h.e.commandQueue.idle);
  const seconds = (Date.now() - t0) / 1000;
  await h.e.stop();
  console.log(`# ${N} commands one after another in ${seconds.toFixed(1)} s: ${h.applied.length} applied, ${h.e.stats.commandsCoalesced} coalesced`);
  assert.deepEqual(h.applied.at(-1), { kind: 'threads', threads: 2 }, 'the last value wins');
  assert.equal(h.applied.length + h.e.stats.commandsCoalesced, N);
  // the bucket: a burst of 10, then 10 a second (a slow machine only applies fewer)
  assert.ok(h.applied.length <= 10 + Math.ceil(seconds * 10) + 1, `${h.applied.length} applied in ${seconds.toFixed(1)} s`);
});

test('floods of bad payloads and of unknown workers: bounded log, truth re-published, nothing reaches the miner', async () => {
  const s0 = snapshot({}, [worker('nerd1')]);
  const h = harness(s0);
  await h.e.start(s0);
  const live = await Spy.start(broker.url, h.t.hubState('policy'));
  cleanups.push(() => live.stop());
  const startLines = h.lines.length;
  const pub = await publisher();
  const N = 2000;
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < N; i++) {
    sends.push(pub.publishAsync(h.t.hubCommand('policy'), `whenever-${i}`, { qos: 1 }));
    sends.push(pub.publishAsync(`${h.nodeId}/worker/ghost_${i}/mining/set`, 'ON', { qos: 1 }));
    sends.push(pub.publishAsync(`${h.nodeId}/worker/nerd1/mining/set`, 'MAYBE', { qos: 1 }));
  }
  await Promise.all(sends);
  await until('every bad command counted', () => h.e.stats.commandsRejected === 2 * N);
  await until('the command queue drained', () => h.e.commandQueue.idle);
  await live.waitFor((m) => m.payload === 'idle_only' && !m.retain, 30_000, 0, 'policy re-published');
  assert.deepEqual(h.applied, [], 'no bad command reached the miner');
  assert.ok(h.e.stats.commandQueuePeak <= 1, `queue peak ${h.e.stats.commandQueuePeak}: unknown workers and bad worker payloads are never queued`);
  await h.e.stop();
  const lines = h.lines.slice(startLines);
  console.log(`# ${3 * N} bad commands: ${lines.length} log lines`);
  assert.ok(lines.length <= 16, `${lines.length} log lines for ${3 * N} bad commands`);
  assert.ok(
    lines.some((l) => /MQTT command flood/.test(l.msg)),
    'the flood is written once with its count',
  );
});

test('a handler slower than the timeout: the state is confirmed, the command applies, and no warning is written', async () => {
  const s0 = snapshot({ maxThreads: 3, maxThreadsLimit: 4 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const h = harness(s0, {
    commandTimeoutMs: 100,
    onCommand: async (c) => {
      h.applied.push(c);
      await gate; // slower than the timeout, released by the test after the state was confirmed
      if (c.kind === 'threads') h.snap.hub.maxThreads = c.threads;
      await h.e.update(structuredClone(h.snap));
    },
  });
  await h.e.start(s0);
  const live = await Spy.start(broker.url, h.t.hubState('max_threads'));
  cleanups.push(() => live.stop());
  const pub = await publisher();
  await pub.publishAsync(h.t.hubCommand('max_threads'), '1', { qos: 1 });
  // after the timeout, the true state (still 3) is confirmed to HA
  await live.waitFor((m) => m.payload === '3' && !m.retain, 30_000, 0, 'max_threads=3 confirmed');
  release();
  await live.waitFor((m) => m.payload === '1', 30_000, 0, 'max_threads=1 once applied');
  await h.e.stop();
  assert.deepEqual(h.applied, [{ kind: 'threads', threads: 1 }]);
  assert.deepEqual(
    h.lines.filter((l) => l.level >= 40),
    [],
    'no warning for a command that was applied',
  );
});

test('a handler that fails is still warned about, once, with the true state published', async () => {
  const s0 = snapshot();
  const h = harness(s0, {
    onCommand: () => {
      throw new Error('hub says no');
    },
  });
  await h.e.start(s0);
  const live = await Spy.start(broker.url, h.t.hubState('mining'));
  cleanups.push(() => live.stop());
  const pub = await publisher();
  await pub.publishAsync(h.t.hubCommand('mining'), 'OFF', { qos: 1 });
  await live.waitFor((m) => m.payload === 'ON' && !m.retain, 30_000, 0, 'mining=ON re-published');
  await h.e.stop();
  const warns = h.lines.filter((l) => l.level >= 40);
  assert.equal(warns.length, 1);
  assert.match(warns[0].msg, /command handler failed/);
  assert.equal(warns[0].error, 'hub says no');
});

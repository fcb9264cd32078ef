// The AxeOS part in a real hub: stand-in AxeOS servers (no miner hardware here) of the three
// firmware generations mine on the hub's own Stratum endpoint from 127.0.0.2-4 and are linked by
// that connection address; /api/status carries workers[].axeos; their HA entities appear on a real
// Mosquitto with the right discovery; the Frequency select moves a stand-in's frequency (only a
// listed value: an unlisted one is refused and never sent); the plan's pause (the worker's Mining
// switch off) pauses a steered v2.14 miner through AxeOS, not the plug; a budget step lowers the
// frequency; at stop the user's own settings come back and are kept in axeos.json; an axeos_url
// mapping links a miner whose address is not probed; a bad axeos_url is a configuration error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { loadConfig } from '../../src/app/config.js';
import { Hub, PARTS } from '../../src/app/hub.js';
import type { HubContext } from '../../src/app/hub/context.js';
import { testHubArgs } from '../support/hub.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

const LIMIT = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'mm-axeos-hub-'));
let broker: Mosquitto;
let hub: Hub | null = null;
let ctx: HubContext | null = null;
let sub: mqtt.MqttClient;
const seen = new Map<string, string>();
const d: Record<'v214' | 'v29' | 'legacy', AxeosStandIn> = {} as never;
const W = { v214: 'bitaxe-gamma', v29: 'bitaxe-supra', legacy: 'bitaxe-old' } as const;

async function until<T>(what: string, cond: () => T | undefined | null | false, ms = LIMIT): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A worker's topics and device discovery as the hub published them (the slug is the worker name made topic-safe). */
const stateTopic = (worker: string, key: string) =>
  [...seen.keys()].find((t) => new RegExp(`^micro_mining/worker/${worker.replace(/-/g, '_')}[a-z0-9_]*/${key}$`).test(t));
const state = (worker: string, key: string) => seen.get(stateTopic(worker, key) ?? '');
function discovery(worker: string): { cmps: Record<string, Record<string, unknown>> } | null {
  const t = [...seen.keys()].find((k) => new RegExp(`micro_mining_w_${worker.replace(/-/g, '_')}[a-z0-9_]*/config$`).test(k));
  return t ? (JSON.parse(seen.get(t)!) as { cmps: Record<string, Record<string, unknown>> }) : null;
}

before(async () => {
  broker = await startMosquitto();
  sub = await mqtt.connectAsync(broker.url);
  sub.on('message', (topic, payload) => seen.set(topic, payload.toString()));
  await sub.subscribeAsync(['micro_mining/worker/#', 'homeassistant/device/+/config']);
  // the three generations on one port of three loopback addresses (the probe port of the test hub)
  d.v214 = await new AxeosStandIn({ generation: 'v2.14', host: '127.0.0.2', mac: 'AA:BB:CC:00:00:02', hostname: 'bitaxe-gamma' }).start();
  d.v29 = await new AxeosStandIn({ generation: 'v2.9', host: '127.0.0.3', port: d.v214.port, hostname: 'bitaxe-supra' }).start();
  d.legacy = await new AxeosStandIn({ generation: 'legacy', fork: true, host: '127.0.0.4', port: d.v214.port, hostname: 'bitaxe-old' }).start();
  // a hub on free ports, its parts as in production, plus a probe that keeps the context (for the axeos handle)
  const config = loadConfig({ argv: testHubArgs({ dataDir: dir, mqtt: broker.url, args: ['--practice-difficulty', '0.00001', '--kernel', 'js'] }), env: {} });
  const overrides = {
    tickMs: 250,
    axeos: {
      allowLoopback: true,
      probePort: d.v214.port,
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
  const port = hub.server!.address().port;
  for (const k of ['v214', 'v29', 'legacy'] as const) await d[k].mine({ port, host: '127.0.0.1', user: W[k], suggestDifficulty: 0.00001 });
});

after(async () => {
  await hub?.stop();
  for (const x of Object.values(d)) await x?.stop();
  await sub?.endAsync();
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('three stand-in firmware generations mining from 127.0.0.2-4 are linked by connection address; /api/status carries axeos per worker; the watts are measured', async (t) => {
  const h = hub!;
  const workers = () => h.status().workers as Array<Record<string, unknown> & { name: string; axeos?: Record<string, unknown> }>;
  for (const k of ['v214', 'v29', 'legacy'] as const) {
    const w = await until(`${W[k]} linked with a reading in /api/status`, () =>
      workers().find((x) => x.name === W[k] && x.axeos?.state === 'ok' && x.axeos?.power_w !== null),
    );
    const a = w.axeos!;
    for (const f of ['url', 'firmware', 'power_w', 'temp_c', 'vr_temp_c', 'frequency_mhz', 'core_voltage_mv', 'best_difficulty', 'paused', 'steered', 'state'])
      assert.ok(f in a, `${W[k]}: axeos.${f}`);
    assert.equal(a.url, `http://${d[k].host}:${d[k].port}`);
    assert.equal(a.via, 'address');
    assert.equal(a.power_how, 'measured');
    assert.equal(a.steered, false, 'steering is off until the switch turns it on');
    assert.equal(a.frequency_mhz, d[k].frequency);
  }
  assert.equal(workers().find((x) => x.name === W.v214)!.axeos!.can_pause, true);
  assert.equal(workers().find((x) => x.name === W.v29)!.axeos!.can_pause, false);
  assert.deepEqual(workers().find((x) => x.name === W.legacy)!.axeos!.frequency_options, [], 'legacy firmware lists no options');
  assert.equal(typeof workers().find((x) => x.name === W.legacy)!.axeos!.best_difficulty, 'number', 'the fork’s "4.29G" read as a number');
  // over HTTP too, as a user's script reads it
  const res = await fetch(`http://127.0.0.1:${h.statusServer!.port}/api/status`);
  const body = (await res.json()) as { workers: Array<{ name: string; axeos?: { state: string } }> };
  assert.equal(body.workers.find((w) => w.name === W.v214)?.axeos?.state, 'ok');
  // the plan and the cost use the miner's own measured watts while it hashes
  const hashing = await until('a linked miner hashing with measured watts', () =>
    workers().find((x) => x.name === W.v214 && x.status === 'mining' && x.how === 'measured'),
  );
  assert.ok(Math.abs((hashing.watts as number) - d.v214.watts) < 3, `measured ${hashing.watts} W, the stand-in draws ${d.v214.watts} W`);
  for (const k of ['v214', 'v29', 'legacy'] as const) assert.equal(d[k].patches.length, 0, `${W[k]}: nothing changed while not steered`);
  t.diagnostic(`stand-in shares accepted: v2.14 ${d.v214.accepted}, v2.9 ${d.v29.accepted}, legacy ${d.legacy.accepted}`);
});

test('their HA entities on Mosquitto: sensors, problem binary sensors, the Frequency select and the Steered switch', async () => {
  const cfg = await until('the v2.14 miner’s device with its AxeOS entities', () => {
    const c = discovery(W.v214);
    return c?.cmps.axeos_power && c.cmps.axeos_frequency_select ? c : null;
  });
  assert.equal(cfg.cmps.axeos_power!.p, 'sensor');
  assert.equal(cfg.cmps.axeos_power!.device_class, 'power');
  assert.equal(cfg.cmps.axeos_power!.unit_of_measurement, 'W');
  assert.equal(cfg.cmps.axeos_power!.name, 'Power (measured)');
  assert.equal(cfg.cmps.axeos_temp!.device_class, 'temperature');
  assert.equal(cfg.cmps.axeos_vr_temp!.unit_of_measurement, '°C');
  assert.equal(cfg.cmps.axeos_frequency!.unit_of_measurement, 'MHz');
  assert.equal(cfg.cmps.axeos_fan!.unit_of_measurement, '%');
  assert.equal(cfg.cmps.axeos_state!.device_class, 'enum');
  assert.ok((cfg.cmps.axeos_state!.options as string[]).includes('overheated'));
  assert.equal(cfg.cmps.axeos_overheat!.p, 'binary_sensor');
  assert.equal(cfg.cmps.axeos_overheat!.device_class, 'problem');
  assert.equal(cfg.cmps.axeos_power_fault!.device_class, 'problem');
  assert.equal(cfg.cmps.axeos_frequency_select!.p, 'select');
  assert.deepEqual(cfg.cmps.axeos_frequency_select!.options, d.v214.asic.f.map(String));
  assert.match(String(cfg.cmps.axeos_frequency_select!.command_topic), /axeos_frequency_select\/set$/);
  assert.equal(cfg.cmps.axeos_steered!.p, 'switch');
  assert.equal(cfg.cmps.axeos_steered!.name, 'Steered by Micro Mining');
  await until(
    'the states published',
    () =>
      state(W.v214, 'axeos_frequency_select') === '525' &&
      state(W.v214, 'axeos_overheat') === 'OFF' &&
      state(W.v214, 'axeos_steered') === 'OFF' &&
      Number(state(W.v214, 'axeos_power')) > 10,
  );
  // legacy firmware lists no options: the select offers its current frequency only
  const legacy = await until('the legacy miner’s device', () => discovery(W.legacy)?.cmps.axeos_frequency_select);
  assert.deepEqual(legacy.options, [String(d.legacy.frequency)]);
});

test('the Frequency select moves the v2.9 stand-in’s frequency; an unlisted value is refused and never sent', async () => {
  const topic = await until('the v2.9 select’s command topic', () => discovery(W.v29)?.cmps.axeos_frequency_select?.command_topic as string | undefined);
  await sub.publishAsync(topic, '490');
  await until('the stand-in runs at 490 MHz', () => d.v29.frequency === 490);
  await until('HA shows 490', () => state(W.v29, 'axeos_frequency_select') === '490');
  // unlisted (491), above every option (700), not a number: refused; then a listed marker arrives
  for (const bad of ['491', '700', 'fast']) await sub.publishAsync(topic, bad);
  await sub.publishAsync(topic, '400');
  await until('the marker 400 MHz', () => d.v29.frequency === 400);
  assert.deepEqual(d.v29.patches, [{ frequency: 490 }, { frequency: 400 }], 'only the listed values were sent');
  // legacy: no list, nothing but its current frequency; another value is refused
  const legacyTopic = await until(
    'the legacy select’s command topic',
    () => discovery(W.legacy)?.cmps.axeos_frequency_select?.command_topic as string | undefined,
  );
  await sub.publishAsync(legacyTopic, '400');
  await sub.publishAsync(topic, '525');
  await until('the v2.9 marker 525 MHz', () => d.v29.frequency === 525);
  assert.equal(d.legacy.patches.length, 0, 'nothing sent to the legacy miner');
  for (const r of [...d.v29.requests, ...d.legacy.requests])
    assert.ok(r.method === 'GET' || (r.method === 'PATCH' && r.path === '/api/system'), `${r.method} ${r.path}`);
});

test('steered: a budget step lowers the v2.14 frequency; the plan’s pause pauses it through AxeOS (v2.9 cannot: left to no-work); resume; stop restores the user’s settings', async () => {
  const h = hub!;
  const axeos = ctx!.handle('axeos')!;
  assert.ok(axeos, 'the axeos handle is offered');
  const steered = await until('the Steered switch’s command topic', () => discovery(W.v214)?.cmps.axeos_steered?.command_topic as string | undefined);
  await sub.publishAsync(steered, 'ON');
  await until('steering on', () => state(W.v214, 'axeos_steered') === 'ON');
  const steps = await until('its steps', () => (axeos.steps(W.v214).length > 1 ? axeos.steps(W.v214) : null));
  assert.ok(
    steps.every((s) => s.frequency_mhz === 0 || d.v214.asic.f.includes(s.frequency_mhz)),
    'every step is a listed frequency (or paused)',
  );
  assert.ok(axeos.powerReading(W.v214)!.power > 10);
  axeos.setBudget(W.v214, 15);
  await until('a lower listed frequency for 15 W', () => d.v214.frequency < 525);
  assert.ok(d.v214.asic.f.includes(d.v214.frequency));

  // the plan pauses it (its Mining switch off): AxeOS pause, no plug
  const v29steer = await until('the v2.9 Steered switch', () => discovery(W.v29)?.cmps.axeos_steered?.command_topic as string | undefined);
  await sub.publishAsync(v29steer, 'ON');
  await until('v2.9 steering on', () => state(W.v29, 'axeos_steered') === 'ON');
  await h.command({ kind: 'worker_mining', worker: W.v214, on: false });
  await h.command({ kind: 'worker_mining', worker: W.v29, on: false });
  await until('the v2.14 stand-in paused through AxeOS', () => d.v214.paused);
  assert.ok(d.v214.posts.includes('/api/system/pause'));
  await until(
    '/api/status says paused',
    () => (h.status().workers as Array<{ name: string; axeos?: { paused: boolean | null } }>).find((w) => w.name === W.v214)?.axeos?.paused === true,
  );
  await until('the v2.9 worker asked to pause', () => h.status().workers.find((w) => w.name === W.v29)?.asked === 'pause');
  assert.equal(d.v29.posts.length, 0, 'v2.9 has no pause: nothing posted');
  await h.command({ kind: 'worker_mining', worker: W.v214, on: true });
  await until('resumed through AxeOS', () => !d.v214.paused && d.v214.posts.includes('/api/system/resume'));
  await h.command({ kind: 'worker_mining', worker: W.v214, on: false });
  await until('paused again', () => d.v214.paused);

  // stop: the user's own settings back (525 MHz / 1150 mV) and resumed; kept in axeos.json
  await h.stop();
  hub = null;
  assert.equal(d.v214.paused, false, 'resumed at stop');
  assert.equal(d.v214.frequency, 525);
  assert.equal(d.v214.coreVoltage, 1150);
  assert.equal(d.v29.frequency, 525, 'the v2.9 miner keeps the user’s own pick');
  const kept = JSON.parse(readFileSync(join(dir, 'axeos.json'), 'utf8')) as {
    version: number;
    miners: Record<string, { frequency: number; coreVoltage: number; pausedByHub?: boolean }>;
  };
  assert.equal(kept.version, 1);
  assert.deepEqual(kept.miners[W.v214], { frequency: 525, coreVoltage: 1150 });
  assert.equal(kept.miners[W.v29]?.frequency, 525);
  for (const x of Object.values(d))
    for (const p of x.patches) for (const k of Object.keys(p)) assert.ok(k === 'frequency' || k === 'coreVoltage', `the hub sent ${k}`);
});

test('an axeos.json the hub cannot read is left as it is, never written over', async () => {
  const data = mkdtempSync(join(tmpdir(), 'mm-axeos-bad-'));
  try {
    const file = join(data, 'axeos.json');
    writeFileSync(file, '{"version": 1, "miners": {"x": {"frequency": 5');
    const config = loadConfig({ argv: testHubArgs({ dataDir: data, mqtt: false, args: ['--practice-difficulty', '0.00001'] }), env: {} });
    const h = new Hub(config, {
      tickMs: 250,
      axeos: { allowLoopback: true, probePort: d.v214.port, probeBackoffMs: 100, pollIntervalMs: 1000, client: { timeoutMs: 3000, backoffMs: 50 } },
    });
    await h.start();
    try {
      const port = h.server!.address().port;
      const extra = await new AxeosStandIn({ generation: 'v2.14', host: '127.0.0.6', port: d.v214.port }).start();
      try {
        await extra.mine({ port, host: '127.0.0.1', user: 'bitaxe-new', suggestDifficulty: 0.00001 });
        await until(
          'linked',
          () => (h.status().workers as Array<{ name: string; axeos?: { state: string } }>).find((w) => w.name === 'bitaxe-new')?.axeos?.state === 'ok',
        );
      } finally {
        await h.stop();
        await extra.stop();
      }
    } finally {
      await h.stop();
    }
    assert.equal(readFileSync(file, 'utf8'), '{"version": 1, "miners": {"x": {"frequency": 5', 'the unreadable file is as it was');
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('an axeos_url mapping links a miner whose connection address is not probed (behind a proxy); a bad axeos_url is a clear configuration error', async () => {
  const data = mkdtempSync(join(tmpdir(), 'mm-axeos-map-'));
  const proxied = await new AxeosStandIn({ generation: 'v2.9', host: '127.0.0.8' }).start();
  try {
    const mappings = JSON.stringify([{ worker: 'proxied-bitaxe', axeos_url: proxied.url }]);
    for (const bad of ['https://192.168.1.60', 'http://admin:secret@192.168.1.60', 'bitaxe.local']) {
      assert.throws(
        () => loadConfig({ argv: testHubArgs({ dataDir: data, args: ['--worker-mappings', JSON.stringify([{ worker: 'x', axeos_url: bad }])] }), env: {} }),
        /axeos_url: must/,
        bad,
      );
    }
    const config = loadConfig({ argv: testHubArgs({ dataDir: data, args: ['--practice-difficulty', '0.00001', '--worker-mappings', mappings] }), env: {} });
    assert.deepEqual(config.miners.axeosUrls, { 'proxied-bitaxe': proxied.url });
    assert.deepEqual(config.idle.workers, [], 'a worker + axeos_url entry links no HA device');
    // loopback addresses are not probed here: only the mapping can link it
    const h = new Hub(config, { tickMs: 250, axeos: { allowLoopback: false, pollIntervalMs: 1000, client: { timeoutMs: 3000, backoffMs: 50 } } });
    await h.start();
    try {
      await proxied.mine({ port: h.server!.address().port, host: '127.0.0.1', user: 'proxied-bitaxe', suggestDifficulty: 0.00001 });
      const w = await until('the mapped miner with its AxeOS in /api/status', () =>
        (h.status().workers as Array<{ name: string; axeos?: { via: string; state: string } }>).find(
          (x) => x.name === 'proxied-bitaxe' && x.axeos?.state === 'ok',
        ),
      );
      assert.equal(w.axeos?.via, 'mapping');
    } finally {
      await h.stop();
    }
  } finally {
    await proxied.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

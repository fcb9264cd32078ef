// Each worker's power: a linked power sensor first, else the figure declared in the configuration
// (worker_power) or by the worker itself (--watts), else an estimate from its hashrate and kind;
// the hub's power and energy count every worker that hashes, not only its own threads.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/app/config.js';
import { startTestHub } from '../support/hub.js';
import { Obedience } from '../../src/app/obedience.js';
import { InputError } from '../../src/core/index.js';
import type { Appliance } from '../../src/ha/index.js';
import { LinePeer, handshake } from '../stratum/helpers.js';
import { LastJobMiner } from './last-job-miner.js';
import { until } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-power-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('worker_power and the switch minimum times: flags, and bad values named', () => {
  const c = loadConfig({ argv: ['--worker-power', '[{"worker":"garage-bitaxe","watts":15}]', '--switch-min-off', '600'], env: { MM_SWITCH_MIN_ON: '120' } });
  assert.deepEqual(c.miners, { powerW: { 'garage-bitaxe': 15 }, switchMinOnS: 120, switchMinOffS: 600 });
  assert.deepEqual(loadConfig({ argv: [], env: {} }).miners, { powerW: {}, switchMinOnS: 300, switchMinOffS: 300 });
  assert.throws(() => loadConfig({ argv: ['--worker-power', '[{"worker":"x","watts":-1}]'], env: {} }), (e: unknown) => e instanceof InputError && /worker.power/.test(e.message));
  assert.throws(() => loadConfig({ argv: [], env: { MM_SWITCH_MIN_OFF: 'soon' } }), (e: unknown) => e instanceof InputError && /MM_SWITCH_MIN_OFF/.test(e.message));
});

test('a worker\'s power: sensor, else declared, else estimated', () => {
  const plug = { id: 'd1', name: 'Plug', powerEntities: ['sensor.plug_power'], watts: 42, entities: ['sensor.plug_power'] } as unknown as Appliance;
  const linked: Record<string, Appliance> = { 'nerd-1': plug };
  const o = new Obedience({ applianceOf: (w) => linked[w] ?? null, declaredW: { 'nerd-1': 5, 'bitaxe-1': 15 }, log: pino({ level: 'silent' }) });
  assert.deepEqual(o.watts('nerd-1', 50_000), { watts: 42, from: 'sensor' });
  assert.deepEqual(o.watts('bitaxe-1', 500e9), { watts: 15, from: 'declared' });
  assert.deepEqual(o.watts('unknown-cpu', 2_000_000), { watts: 20, from: 'estimate' });
  assert.deepEqual(o.watts('tiny', 10), { watts: 1, from: 'estimate' });
  // a plug that has not read yet: the declared figure
  linked['bitaxe-1'] = { ...plug, watts: null } as Appliance;
  assert.equal(o.watts('bitaxe-1', 1).from, 'declared');
});

test('the hub\'s power and energy count a miner that hashes, at its declared figure', async () => {
  const hub = await startTestHub({ dataDir: dir, args: ['--worker-power', '[{"worker":"garage-bitaxe","watts":15}]'], overrides: { tickMs: 200 } });
  const peer = await LinePeer.connect(hub.server!.address().port);
  let miner: LastJobMiner | null = null;
  try {
    const h = await handshake(peer, { user: 'garage-bitaxe', suggest: 0.00001 });
    miner = new LastJobMiner(peer, 'garage-bitaxe', h.extranonce1, h.extranonce2Size, h, null);
    miner.start();
    const s = await until('the hub counts the miner\'s power', () => (hub.status().powerW === 15 ? hub.status() : undefined), 60_000);
    assert.equal(s.hubHashrate, 0, 'the hub itself does not hash');
    await until('the plan budgets it at 15 W', () => hub.planner.lastPlan?.workers.find((w) => w.id === 'garage-bitaxe')?.watts === 15, 30_000);
    const e0 = hub.status().energyKWh;
    await until('energy is counted', () => hub.status().energyKWh > e0, 30_000);
  } finally {
    await miner?.stop();
    await peer.close();
    await hub.stop();
  }
});

test('a plain miner linked to its own HA device is a dedicated miner for the plan: its device reading busy or unknown (its own power, hashrate) does not pause it', () => {
  const own = { id: 'd2', name: 'Bitaxe', workerId: 'bitaxe-1', roles: ['worker', 'load'], status: 'busy', powerEntities: ['sensor.bitaxe_power'], watts: 15, entities: ['sensor.bitaxe_power'] } as unknown as Appliance;
  const o = new Obedience({ applianceOf: () => own, log: pino({ level: 'silent' }) });
  const input = { id: 'd2', name: 'Bitaxe', status: 'busy' as const, roles: ['worker' as const, 'load' as const], workerId: 'bitaxe-1', watts: 15 };
  const seen = o.planInput(own, input);
  assert.equal(seen.status, 'idle');
  assert.deepEqual(seen.roles, ['worker']);
  assert.match(seen.reason ?? '', /dedicated miner/);
  assert.equal(o.planInput({ ...own, status: 'unknown' } as Appliance, { ...input, status: 'unknown' }).status, 'idle');
  // the hub and computers that speak the extension keep their device's verdict
  assert.equal(o.planInput({ ...own, workerId: 'hub' } as Appliance, { ...input, workerId: 'hub' }).status, 'busy');
});

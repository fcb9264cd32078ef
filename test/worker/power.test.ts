// Each worker's power: a linked power sensor first (plug), else the figure declared in the
// configuration (worker_power) or by the worker itself (--watts), else the worker's own estimate
// (a GPU: wattsEstimate), else one power model (issue 24 item 4): a CPU thread of the same kind
// counts the same watts for the hub, an agent or a page (estimateCpuWatts), a plain miner by its
// hashrate; every figure says where it comes from. The hub's power and energy count every worker
// that hashes, not only its own threads.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/app/config.js';
import { startTestHub } from '../support/hub.js';
import { Obedience } from '../../src/app/obedience.js';
import { CPU_WATTS_PER_THREAD, estimateCpuWatts } from '../../src/app/power-estimate.js';
import { InputError } from '../../src/core/index.js';
import type { Appliance } from '../../src/ha/index.js';
import { LinePeer, handshake, mineShares } from '../stratum/helpers.js';
import { WorkerAgent } from '../../src/worker/index.js';
import { MM_EXTENSION, MM_METHODS } from '../../src/stratum/index.js';
import { DEFAULT_ENTITY_OPTIONS, buildModel, topics, workerSlug } from '../../src/mqtt/index.js';
import type { StatusView } from '../../src/app/hub/snapshot.js';
import { LastJobMiner } from './last-job-miner.js';
import { until } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-power-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('worker_power and the switch minimum times: flags, and bad values named', () => {
  const c = loadConfig({ argv: ['--worker-power', '[{"worker":"garage-bitaxe","watts":15}]', '--switch-min-off', '600'], env: { MM_SWITCH_MIN_ON: '120' } });
  assert.deepEqual(c.miners, { powerW: { 'garage-bitaxe': 15 }, switchMinOnS: 120, switchMinOffS: 600, axeosUrls: {} });
  assert.deepEqual(loadConfig({ argv: [], env: {} }).miners, { powerW: {}, switchMinOnS: 300, switchMinOffS: 300, axeosUrls: {} });
  assert.throws(
    () => loadConfig({ argv: ['--worker-power', '[{"worker":"x","watts":-1}]'], env: {} }),
    (e: unknown) => e instanceof InputError && /worker.power/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ argv: [], env: { MM_SWITCH_MIN_OFF: 'soon' } }),
    (e: unknown) => e instanceof InputError && /MM_SWITCH_MIN_OFF/.test(e.message),
  );
});

test("a worker's power: plug, else declared, else estimated", () => {
  const plug = { id: 'd1', name: 'Plug', powerEntities: ['sensor.plug_power'], watts: 42, entities: ['sensor.plug_power'] } as unknown as Appliance;
  const linked: Record<string, Appliance> = { 'nerd-1': plug };
  const o = new Obedience({ applianceOf: (w) => linked[w] ?? null, declaredW: { 'nerd-1': 5, 'bitaxe-1': 15 }, log: pino({ level: 'silent' }) });
  assert.deepEqual(o.watts('nerd-1', 50_000), { watts: 42, how: 'plug' });
  assert.deepEqual(o.watts('bitaxe-1', 500e9), { watts: 15, how: 'declared' });
  // a plain miner (it tells no threads): by its hashrate, 1 W to 30 W
  assert.deepEqual(o.watts('unknown-miner', 2_000_000), { watts: 20, how: 'estimated' });
  assert.deepEqual(o.watts('tiny', 10), { watts: 1, how: 'estimated' });
  // a plug that has not read yet: the declared figure
  linked['bitaxe-1'] = { ...plug, watts: null } as Appliance;
  assert.equal(o.watts('bitaxe-1', 1).how, 'declared');
});

test('one power model: a CPU thread of the same kind counts the same watts, estimated', () => {
  assert.deepEqual(estimateCpuWatts(1, 'computer'), { watts: CPU_WATTS_PER_THREAD.computer, how: 'estimated' });
  assert.deepEqual(estimateCpuWatts(4, 'computer'), { watts: 4 * CPU_WATTS_PER_THREAD.computer, how: 'estimated' });
  assert.deepEqual(estimateCpuWatts(2, 'browser'), { watts: 2 * CPU_WATTS_PER_THREAD.browser, how: 'estimated' });
  assert.equal(estimateCpuWatts(3, 'computer', 5).watts, 15, "the hub's own figure per thread");
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(estimateCpuWatts(bad).watts, 0, String(bad));
  assert.equal(estimateCpuWatts(1e9).watts, 1024 * CPU_WATTS_PER_THREAD.computer, 'bounded');
  assert.ok(CPU_WATTS_PER_THREAD.computer < 20, 'a thread is not a whole machine (was 107.9 W for one agent, 150 W for one thread)');
});

test("the hub's power and energy count a miner that hashes, at its declared figure", async () => {
  const hub = await startTestHub({ dataDir: dir, args: ['--worker-power', '[{"worker":"garage-bitaxe","watts":15}]'], overrides: { tickMs: 200 } });
  const peer = await LinePeer.connect(hub.server!.address().port);
  let miner: LastJobMiner | null = null;
  try {
    const h = await handshake(peer, { user: 'garage-bitaxe', suggest: 0.00001 });
    miner = new LastJobMiner(peer, 'garage-bitaxe', h.extranonce1, h.extranonce2Size, h, null);
    miner.start();
    const s = await until("the hub counts the miner's power", () => (hub.status().powerW === 15 ? hub.status() : undefined), 60_000);
    assert.equal(s.hubHashrate, 0, 'the hub itself does not hash');
    // a plain miner tells nothing of itself: its shares give its hashrate, its watts are the declared figure
    const w = (s as unknown as StatusView).workers.find((x) => x.name === 'garage-bitaxe')!;
    assert.deepEqual([w.hashrateFrom, w.state, w.kernel, w.how, w.watts], ['shares', null, null, 'declared', 15]);
    assert.ok(w.hashrate > 0 && w.hashrate === w.estimate?.hashrate, 'the share-based figure');
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
  const own = {
    id: 'd2',
    name: 'Bitaxe',
    workerId: 'bitaxe-1',
    roles: ['worker', 'load'],
    status: 'busy',
    powerEntities: ['sensor.bitaxe_power'],
    watts: 15,
    entities: ['sensor.bitaxe_power'],
  } as unknown as Appliance;
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

test("the hub's thread and an agent's thread on the same CPU count the same estimated watts (hub, plan, /api/status)", async () => {
  const hub = await startTestHub({ dataDir: dir, threads: 1, args: ['--kernel', 'js'], overrides: { tickMs: 200 } });
  const agent = new WorkerAgent({
    hub: `stratum+tcp://127.0.0.1:${hub.server!.address().port}`,
    name: 'desk-pc',
    threads: 1,
    kernel: 'js',
    nice: 0,
    hostname: 'desk-pc',
    mac: null,
    yield: { maxLoadPercent: 100, resumeAfterS: 0, onBattery: false },
    suggestDifficulty: 0.00001,
    reportMs: 500,
    loadMeter: () => 0,
    battery: () => null,
    logger: pino({ level: 'silent' }),
  });
  try {
    await agent.start();
    const view = () => hub.status() as unknown as StatusView;
    const s = await until(
      'the hub and the agent hash',
      () => {
        const v = view();
        const w = v.workers.find((x) => x.name === 'desk-pc');
        return v.hubHashrate > 0 && v.threads === 1 && w?.status === 'mining' && w.hashrate > 0 ? v : undefined;
      },
      120_000,
    );
    const w = s.workers.find((x) => x.name === 'desk-pc')!;
    const one = estimateCpuWatts(1, 'computer');
    console.log(
      `# hub 1 thread at ${Math.round(s.hubHashrate / 1e3)} kH/s: ${s.hubPower.watts} W ${s.hubPower.how}; agent 1 thread at ${Math.round(w.hashrate / 1e3)} kH/s: ${w.watts} W ${w.how}; total ${s.powerW} W (${s.powerHow})`,
    );
    assert.deepEqual(s.hubPower, one, "the hub's thread");
    assert.deepEqual({ watts: w.watts, how: w.how }, one, "the agent's thread: the same figure, estimated");
    assert.equal(s.powerW, 2 * one.watts);
    assert.match(s.powerHow, /^hub \d+ W estimated; workers: 1 estimated$/);
    const planned = hub.planner.lastPlan!.workers;
    assert.equal(planned.find((x) => x.kind === 'hub')!.watts, one.watts, "the planner counts the hub's thread the same");
    assert.equal(planned.find((x) => x.id === 'desk-pc')!.watts, one.watts, "and the agent's");
    const api = (await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/status`)).json()) as StatusView;
    assert.equal(api.hubPower.how, 'estimated');
    assert.equal(api.workers.find((x) => x.name === 'desk-pc')!.how, 'estimated');
  } finally {
    await agent.stop();
    await hub.stop();
  }
});

/** A GPU worker's session as the extension speaks it (stand-in for a browser page on WebGPU): configure, subscribe, authorize. */
async function gpuPeer(port: number, name: string, kind: 'browser' | 'agent') {
  const peer = await LinePeer.connect(port);
  const c = await peer.call('mining.configure', [[MM_EXTENSION], { [`${MM_EXTENSION}.kind`]: kind, [`${MM_EXTENSION}.hostname`]: name }]);
  assert.equal((c.result as Record<string, unknown>)[MM_EXTENSION], true);
  const h = await handshake(peer, { user: name, suggest: 0.00001 });
  return { peer, h };
}

test("a GPU worker's own estimate (wattsEstimate, stand-in page) is its estimated watts; a declared figure wins; kernel in /api/status and on its HA device", async () => {
  const hub = await startTestHub({
    dataDir: dir,
    args: ['--kernel', 'js', '--worker-power', '[{"worker":"declared-gpu","watts":90}]'],
    overrides: { tickMs: 200 },
  });
  const port = hub.server!.address().port;
  const a = await gpuPeer(port, 'tv-gpu', 'browser');
  const b = await gpuPeer(port, 'pc-gpu', 'agent');
  const c = await gpuPeer(port, 'declared-gpu', 'browser');
  try {
    // a share each, so each gets its HA device
    for (const [p, name] of [
      [a, 'tv-gpu'],
      [b, 'pc-gpu'],
      [c, 'declared-gpu'],
    ] as const) {
      const [share] = mineShares(p.h.job, p.h.extranonce1, '00'.repeat(p.h.extranonce2Size), p.h.difficulty);
      const r = await p.peer.call('mining.submit', [name, p.h.job.jobId, '00'.repeat(p.h.extranonce2Size), p.h.job.ntime, share.nonce]);
      assert.equal(r.result, true, JSON.stringify(r.error));
    }
    const report = (p: typeof a, o: Record<string, unknown>) =>
      p.peer.call(MM_METHODS.state, [{ state: 'working', threads: 1, hashrate: 2e6, hashes: 1000, ...o }]);
    assert.equal((await report(a, { kernel: 'webgpu', wattsEstimate: 15 })).result, true);
    // an agent hashing on its GPU and 2 CPU threads: the GPU's estimate plus 2 CPU threads
    assert.equal((await report(b, { threads: 3, kernel: 'webgpu+native', wattsEstimate: 40 })).result, true);
    assert.equal((await report(c, { kernel: 'webgpu', wattsEstimate: 15 })).result, true);
    const view = () => hub.status() as unknown as StatusView;
    const s = await until(
      'the reports are in the status',
      () => {
        const v = view();
        return ['tv-gpu', 'pc-gpu', 'declared-gpu'].every((n) => v.workers.find((w) => w.name === n)?.kernel) ? v : undefined;
      },
      30_000,
    );
    const by = (n: string) => s.workers.find((w) => w.name === n)!;
    assert.deepEqual([by('tv-gpu').watts, by('tv-gpu').how, by('tv-gpu').kernel, by('tv-gpu').hashrate], [15, 'estimated', 'webgpu', 2e6]);
    assert.deepEqual([by('pc-gpu').watts, by('pc-gpu').how, by('pc-gpu').kernel], [40 + estimateCpuWatts(2, 'computer').watts, 'estimated', 'webgpu+native']);
    assert.deepEqual([by('declared-gpu').watts, by('declared-gpu').how], [90, 'declared']);
    const api = (await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/status`)).json()) as StatusView;
    assert.deepEqual(api.workers.map((w) => [w.name, w.kernel, w.how]).sort(), [
      ['declared-gpu', 'webgpu', 'declared'],
      ['pc-gpu', 'webgpu+native', 'estimated'],
      ['tv-gpu', 'webgpu', 'estimated'],
    ]);
    // HA: the worker's device carries its kernel and its power figure's source
    const m = buildModel(hub.minerSnapshot(), DEFAULT_ENTITY_OPTIONS);
    const tvSlug = workerSlug('tv-gpu');
    const tv = m.workers.get(tvSlug)!;
    const cfg = tv.config as { cmps: Record<string, Record<string, unknown>> };
    assert.equal(cfg.cmps.kernel.entity_category, 'diagnostic');
    assert.deepEqual(cfg.cmps.power_source.options, ['measured', 'plug', 'declared', 'estimated']);
    const t = topics(DEFAULT_ENTITY_OPTIONS);
    assert.equal(tv.states.get(t.workerState(tvSlug, 'kernel')), 'webgpu');
    assert.equal(tv.states.get(t.workerState(tvSlug, 'power_source')), 'estimated');
    const declaredSlug = workerSlug('declared-gpu');
    assert.equal(m.workers.get(declaredSlug)!.states.get(t.workerState(declaredSlug, 'power_source')), 'declared');
    // a bad report is refused with a clear error, the figures stay
    const bad = await a.peer.call(MM_METHODS.state, [{ state: 'working', threads: 1, hashrate: 1, hashes: 1, wattsEstimate: -5 }]);
    assert.ok(bad.error, 'a negative estimate is refused');
    assert.equal(view().workers.find((w) => w.name === 'tv-gpu')!.watts, 15);
  } finally {
    for (const p of [a, b, c]) await p.peer.close();
    await hub.stop();
  }
});

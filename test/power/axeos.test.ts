// The power target with an AxeOS miner (a stand-in AxeOS server: no miner hardware here) in a real
// hub: the miner is a worker of the allocation in its frequency steps, its figure measured (its own
// `power`); with steering on, a target between its steps puts it on a lower listed frequency (the
// power part hands it its watts through the AxeOS part's budget), and the plan's reason names the step.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/app/config.js';
import { Hub } from '../../src/app/hub.js';
import { testHubArgs } from '../support/hub.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-power-axeos-'));
const WORKER = 'bitaxe-power';
let hub: Hub | null = null;
let bitaxe: AxeosStandIn;

async function until<T>(what: string, cond: () => T | undefined | null | false, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  bitaxe = await new AxeosStandIn({ generation: 'v2.14', host: '127.0.0.2', mac: 'AA:BB:CC:00:00:12', hostname: WORKER }).start();
  const config = loadConfig({
    argv: testHubArgs({ dataDir: dir, threads: 0, policy: 'always', args: ['--practice-difficulty', '0.00001', '--kernel', 'js', '--power-target', 'number'] }),
    env: {},
  });
  hub = new Hub(config, {
    tickMs: 250,
    axeos: {
      allowLoopback: true,
      probePort: bitaxe.port,
      probeBackoffMs: 100,
      pollIntervalMs: 1000,
      minChangeIntervalMs: 0,
      client: { timeoutMs: 3000, backoffMs: 50 },
    },
  });
  await hub.start();
  await bitaxe.mine({ port: hub.server?.address().port ?? 0, host: '127.0.0.1', user: WORKER, suggestDifficulty: 0.00001 });
});

after(async () => {
  await hub?.stop();
  await bitaxe?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type PowerView = {
  target_w: number | null;
  planned_w: number;
  workers: { name: string; planned_w: number; measured_w: number | null; how: string; step: string }[];
};
const power = (h: Hub) => (h.status() as unknown as { power?: PowerView }).power;

test('an AxeOS miner meets the target in its frequency steps, measured; steered, a lower target puts it on a lower listed frequency', async () => {
  const h = hub as Hub;
  await h.command({ kind: 'extra', key: 'power_target', value: '5000' });
  const w = await until('the miner in the allocation on a frequency step, measured', () =>
    power(h)?.workers.find((x) => x.name === WORKER && /MHz/.test(x.step) && x.planned_w > 0 && x.how === 'measured'),
  );
  assert.match(w.step, /525 MHz \(step \d+ of \d+\)/, 'its own frequency is its top step');
  assert.match(h.planner.lastPlan?.workers.find((x) => x.id === WORKER)?.reason ?? '', /power target: 525 MHz/);
  const top = w.planned_w;
  // steering on (its HA switch), then a target that fits a lower step only
  await h.command({ kind: 'extra', key: 'axeos_steered', worker: WORKER, value: 'ON' });
  const target = Math.floor(top * 0.9);
  await h.command({ kind: 'extra', key: 'power_target', value: String(target) });
  const lower = await until('a lower step planned', () => power(h)?.workers.find((x) => x.name === WORKER && x.planned_w > 0 && x.planned_w <= target));
  assert.doesNotMatch(lower.step, /525 MHz/);
  await until('the stand-in on a lower listed frequency', () => bitaxe.frequency < 525);
  assert.ok(bitaxe.asic.f.includes(bitaxe.frequency), `${bitaxe.frequency} MHz is a listed frequency`);
  assert.ok(
    bitaxe.patches.some((p) => typeof p.frequency === 'number'),
    'the frequency was sent to the miner',
  );
});

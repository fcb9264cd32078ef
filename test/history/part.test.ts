// The history part (src/app/hub/parts/history.ts): what one snapshot and the plan become in the
// ring (pure), and on a real hub: GET api/history serves it, the plan's decisions with their
// reasons survive a restart on the same data folder, a history file that cannot be read leaves
// the hub running with the history in memory (and the file untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tickOf } from '../../src/app/hub/parts/history.js';
import type { HubStatus } from '../../src/app/status.js';
import type { Plan } from '../../src/schedule/index.js';
import { startTestHub } from '../support/hub.js';

const status = (over: Partial<HubStatus> = {}) =>
  ({
    mining: true,
    hashrate: 5e6,
    hubHashrate: 4e6,
    powerW: 21,
    powerHow: 'hub 6 W estimated; workers: 1 declared',
    shares: { accepted: 7, rejected: 1, stale: 0 },
    bestDifficulty: { session: 0.5, allTime: 3 },
    workers: [
      { name: 'desk', status: 'mining', hashrate: 1e6, asked: 'work' },
      { name: 'attic', status: 'offline', hashrate: 9e5, asked: 'pause' },
    ],
    ...over,
  }) as unknown as HubStatus;

const plan = (over: Partial<Plan> = {}): Plan =>
  ({
    at: 0,
    mode: 'surplus',
    hubThreads: 1,
    expectedHashrate: 0,
    expectedWatts: 0,
    budgetW: 640,
    idleAppliances: 1,
    gate: null,
    summary: '',
    workers: [
      { id: 'hub', kind: 'hub', action: 'work', threads: 1, reason: 'surplus 640 W: 1 thread', hashrate: 0, watts: 0 },
      { id: 'desk', kind: 'miner', action: 'pause', threads: 0, reason: 'the washer runs', hashrate: 0, watts: 0 },
      { id: 'gone', kind: 'miner', action: 'pause', threads: 0, reason: 'not connected', hashrate: 0, watts: 0 },
    ],
    ...over,
  }) as Plan;

test('a snapshot and the plan as one history tick: hashrates, power with its weakest source, target and surplus, decisions with reasons', () => {
  const t = tickOf(1000, status(), plan());
  assert.equal(t.t, 1000);
  assert.equal(t.hashrate, 5e6);
  assert.equal(t.hubHashrate, 4e6);
  assert.equal(t.powerW, 21);
  assert.equal(t.powerHow, 'estimated', 'a sum with an estimated part is estimated');
  assert.equal(t.sharesAccepted, 7);
  assert.equal(t.bestDifficulty, 0.5);
  assert.equal(t.targetW, null, 'no power section: no target');
  assert.equal(t.surplusW, 640, "the surplus policy's budget");
  const by = Object.fromEntries(t.workers.map((w) => [w.name, w]));
  assert.deepEqual(by.hub, { name: 'hub', hashrate: 4e6, decision: 'work', reason: 'surplus 640 W: 1 thread' });
  assert.deepEqual(by.desk, { name: 'desk', hashrate: 1e6, decision: 'pause', reason: 'the washer runs' });
  assert.equal(by.attic.hashrate, 0, 'an offline worker hashes nothing');
  assert.equal(by.attic.decision, 'pause', 'without a plan entry: what it was asked');
  assert.deepEqual(by.gone, { name: 'gone', hashrate: 0, decision: 'pause', reason: 'not connected' });

  // the power target part's section: its target, and the surplus when it follows the surplus sensor
  const power = { mode: 'surplus', target_w: 450 } as unknown as HubStatus['power'];
  const p = tickOf(2000, status({ power, powerHow: 'hub 6 W measured; workers: 1 plug' }), plan({ mode: 'always', budgetW: null }));
  assert.equal(p.targetW, 450);
  assert.equal(p.surplusW, 450);
  assert.equal(p.powerHow, 'measured');
  const n = tickOf(3000, status({ power: { mode: 'number', target_w: 300 } as unknown as HubStatus['power'], mining: false }), null);
  assert.equal(n.targetW, 300);
  assert.equal(n.surplusW, null);
  assert.equal(n.hashrate, 0, 'not mining: 0, not the last figure');
  assert.equal(n.workers.find((w) => w.name === 'hub')?.decision, null);
});

test('on a real hub: api/history serves the ring, and the plan with its reasons survives a restart on the same data folder', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mm-history-part-'));
  try {
    let hub = await startTestHub({ threads: 1, dataDir });
    let reason = '';
    for (let i = 0; i < 200 && !reason; i++) {
      reason = hub.planner.lastPlan?.workers.find((w) => w.id === 'hub')?.reason ?? '';
      if (!reason) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(reason, 'the hub planned');
    // the ring takes the plan with the next snapshots
    let snaps = 0;
    hub.bus.on('snapshot', () => void snaps++);
    for (let i = 0; i < 200 && snaps < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(snaps >= 2);
    const base = () => `http://127.0.0.1:${hub.statusServer!.port}/api/history`;
    const first = (await (await fetch(`${base()}?span=1h`)).json()) as { span: string; step_s: number };
    assert.equal(first.span, '1h');
    assert.equal(first.step_s, 10);
    await hub.stop();
    assert.ok(statSync(join(dataDir, 'history.ring')).size > 0, 'the ring on disk');
    hub = await startTestHub({ threads: 0, dataDir });
    try {
      for (const span of ['1h', '24h', '30d']) {
        const h = (await (await fetch(`${base()}?span=${span}`)).json()) as { plan: { worker: string; decision: string; reason: string }[] };
        assert.ok(
          h.plan.some((p) => p.worker === 'hub' && p.decision === 'work' && p.reason === reason),
          `${span}: the first run's plan (${reason}) in ${JSON.stringify(h.plan)}`,
        );
      }
    } finally {
      await hub.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a history file that cannot be read: the hub runs, api/history serves this run from memory, the file is left as it was', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mm-history-bad-'));
  try {
    mkdirSync(join(dataDir, 'history.ring')); // a folder where the file should be
    const hub = await startTestHub({ threads: 0, dataDir });
    try {
      const r = await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/history?span=1h`);
      assert.equal(r.status, 200);
      assert.equal(((await r.json()) as { span: string }).span, '1h');
    } finally {
      await hub.stop();
    }
    assert.ok(statSync(join(dataDir, 'history.ring')).isDirectory(), 'never written over');
    assert.deepEqual(readdirSync(join(dataDir, 'history.ring')), []);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

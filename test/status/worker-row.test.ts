// The status page's worker table follows what a worker reports (issue 24 items 3, 4): its own
// hashrate, the shares' estimate as the cross-check, its kernel, and every watt figure's source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatWorkerHashrate, renderStatusPage, type HubStatus } from '../../src/app/status.js';
import { buildSnapshot, type SnapshotInputs } from '../../src/app/hub/snapshot.js';
import { SectionBook } from '../../src/app/hub/sections.js';
import { WorkerStats } from '../../src/work/index.js';

function inputs(over: Partial<SnapshotInputs>): SnapshotInputs {
  const stats = new WorkerStats({ now: () => 1_000_000 });
  stats.connected('desk-pc', 'miner');
  for (let k = 0; k < 3; k++) stats.accepted('desk-pc', 'miner', 1, 1);
  stats.accepted('gone', 'miner', 1, 1);
  return {
    at: 1_000_000 + 180_000,
    startedAt: 0,
    cores: 2,
    config: { mode: 'practice', practice: true, addon: false, policy: 'always', threads: 0, priceSensor: false, maxWorkerDevices: 32 },
    source: 'practice',
    upstreamConnected: false,
    node: null,
    pool: { hashrate: 0, threads: 0, kernel: 'js' },
    workers: stats.snapshot(),
    session: stats.session(),
    totals: { bestDifficulty: 1, blocksFound: 0, energyKwh: 0 },
    networkDifficulty: 1,
    plan: null,
    manual: {},
    obeyed: [],
    minerWatts: {},
    minerEnergyKwh: {},
    appliances: [],
    ignoredAppliances: 0,
    haAway: null,
    mqtt: null,
    price: { value: null, unit: null },
    sections: new SectionBook().read(),
    ...over,
  } as SnapshotInputs;
}

test("status page: a reporting worker shows its own hashrate with the shares as the cross-check, its kernel and its watts' source", () => {
  assert.match(
    formatWorkerHashrate({ hashrate: 1.2e6, hashrateFrom: 'reported', estimate: { low: 0.8e6, high: 1.6e6, shares: 5, settled: false, hashrate: 1.1e6 } }),
    /^1\.2 MH\/s reported; shares: ~1\.1 MH\/s \(800 kH\/s to 1\.6 MH\/s, 5 shares\)$/,
  );
  const figures = [
    {
      name: 'desk-pc',
      kind: 'agent' as const,
      hashing: true,
      state: 'working' as const,
      reason: null,
      hashrate: 10.8e6,
      hashrateFrom: 'reported' as const,
      threads: 2,
      kernel: 'native',
      watts: 12,
      how: 'estimated' as const,
    },
    {
      name: 'gone',
      kind: 'agent' as const,
      hashing: false,
      state: null,
      reason: null,
      hashrate: 0,
      hashrateFrom: 'shares' as const,
      threads: null,
      kernel: null,
      watts: 0,
      how: 'estimated' as const,
    },
  ];
  const snap = buildSnapshot(inputs({ figures, minerWatts: { 'desk-pc': 12 } }));
  const html = renderStatusPage(snap.status as unknown as HubStatus);
  const row = (n: string) => html.split('<tr>').find((r) => r.includes(`<td>${n}`)) ?? '';
  assert.match(row('desk-pc'), /10\.8 MH\/s reported/);
  assert.match(row('desk-pc'), /<td>native<\/td>/);
  assert.match(row('desk-pc'), /<td>12 W \(estimated\)<\/td>/);
  assert.match(row('gone'), /offline, last share 3 min ago/);
  assert.doesNotMatch(row('gone'), /no shares yet/);
  assert.match(html, /<th>kernel<\/th>/);
  assert.match(html, /hub 0 W estimated; workers: 1 estimated; 0 Wh \(estimated\) used/);
});

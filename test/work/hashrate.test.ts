// The live per-worker hashrate with the uncertainty a few shares allow (issue 10, item 13): the
// snapshot carries the estimate, a 95 % interval from Poisson statistics, the number of shares it
// rests on, and whether it has settled; `hashrate` stays the field it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerStats } from '../../src/work/stats.js';

const H = (d: number, s: number) => (d * 2 ** 32) / s;

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('a few shares: an estimate with a wide interval that contains the true rate, not settled; many shares: a narrow one', () => {
  const c = clock();
  const stats = new WorkerStats({ now: c.now });
  stats.connected('nerd', 'miner', { difficulty: 0.001 });
  // a miner at exactly one share of difficulty 0.001 every 10 s
  const truth = H(0.001, 10);
  for (let i = 0; i < 3; i++) {
    c.advance(10_000);
    stats.accepted('nerd', 'miner', 0.002, 0.001);
  }
  const few = stats.worker('nerd')!;
  const e = few.hashrateEstimate;
  assert.ok(e, 'the snapshot carries the estimate');
  assert.equal(e.shares, 3);
  assert.equal(e.settled, false);
  assert.equal(e.value, few.hashrate, 'the estimate is the hashrate field');
  assert.ok(e.low < truth && truth < e.high, `the 95 % interval [${e.low.toFixed(0)}, ${e.high.toFixed(0)}] contains ${truth.toFixed(0)}`);
  assert.ok(e.error > 0.8, `a wide interval on 3 shares (±${(e.error * 100).toFixed(0)} %)`);
  for (let i = 0; i < 57; i++) {
    c.advance(10_000);
    stats.accepted('nerd', 'miner', 0.002, 0.001);
  }
  const many = stats.worker('nerd')!.hashrateEstimate;
  assert.equal(many.shares, 60);
  assert.equal(many.settled, true);
  assert.ok(many.error < 0.3, `±${(many.error * 100).toFixed(0)} % on 60 shares`);
  assert.ok(many.low < truth && truth < many.high);
  assert.ok(Math.abs(many.value - truth) / truth < 0.05);
  console.log(
    `# 3 shares: ${(e.value / 1e3).toFixed(0)} kH/s ±${(e.error * 100).toFixed(0)} %; 60 shares: ${(many.value / 1e3).toFixed(0)} kH/s ±${(many.error * 100).toFixed(0)} % (true ${(truth / 1e3).toFixed(0)} kH/s)`,
  );
  // offline: 0, as before
  stats.disconnected('nerd');
  const off = stats.worker('nerd')!;
  assert.equal(off.hashrate, 0);
  assert.equal(off.hashrateEstimate.value, 0);
});

test('the 95 % interval holds the true rate in about 95 % of random runs with few shares (seeded Poisson arrivals)', () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
  const truthPerS = 1 / 20; // one share of difficulty 1 every 20 s on average
  const truth = H(1, 20);
  let covered = 0;
  let settledTooEarly = 0;
  const trials = 400;
  for (let k = 0; k < trials; k++) {
    const c = clock();
    const stats = new WorkerStats({ now: c.now });
    stats.connected('w', 'miner');
    let t = 0;
    const horizon = 120_000; // 2 minutes: about 6 shares
    for (;;) {
      const gap = (-Math.log(rand()) / truthPerS) * 1000;
      if (t + gap > horizon) break;
      t += gap;
      c.advance(gap);
      stats.accepted('w', 'miner', 1, 1);
    }
    c.advance(horizon - t);
    const e = stats.worker('w')!.hashrateEstimate;
    if (e.low <= truth && truth <= e.high) covered++;
    if (e.settled) settledTooEarly++;
  }
  console.log(`# interval coverage on ~6 shares: ${((covered / trials) * 100).toFixed(1)} % of ${trials} runs`);
  assert.ok(covered / trials > 0.9 && covered / trials < 0.995, `coverage ${(covered / trials) * 100} %`);
  assert.ok(settledTooEarly / trials < 0.05, 'a handful of shares is not called settled');
});

// Issue 24 item 10: the live line keeps hashrate, odds, watts (with their source) and cost per day
// (energy per day without a price) at any width, the decision on its own line; the Ctrl-C summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusLines } from '../../src/app/terminal.js';
import { SessionTally, compactLine, pricePerKwh } from '../../src/app/live-line.js';
import type { HubStatus } from '../../src/app/status.js';

function status(over: Partial<HubStatus> = {}): HubStatus {
  return {
    mode: 'pool',
    source: 'stratum+tcp://pool.example:3333',
    poolConnected: true,
    connection: 'connected',
    mining: true,
    policy: 'idle_only',
    decision: 'mining: every appliance is idle and the budget allows 2 threads (policy idle_only, 1 core kept for Home Assistant)',
    threads: 2,
    maxThreads: 2,
    threadLimit: '2 of 3 threads: 1 core kept for Home Assistant (--headroom 1)',
    kernel: 'native',
    hashrate: 24_200_000,
    hubHashrate: 24_200_000,
    shares: { accepted: 1234, rejected: 5, stale: 2 },
    bestDifficulty: { session: 547.3, allTime: 12345.6 },
    blocksFound: 0,
    networkDifficulty: 1.14e14,
    oddsPerDay: 1 / 5.47e11,
    expectedTimeToBlock: 5.47e11 * 86400,
    powerW: 12,
    powerHow: 'hub 12 W estimated',
    energyKWh: 1.5,
    workers: [],
    appliances: { idle: 1, busy: 0, total: 1, ignored: 0, list: [] },
    haConnected: null,
    mqttConnected: true,
    startedAt: Date.now() - 3_600_000,
    ...over,
  } as HubStatus;
}

const priced = () => status({ electricityPrice: { value: 0.3, unit: 'EUR/kWh' } });

test('the live line at 60, 80, 120 and 250 columns: hashrate, odds, watts with their source, cost per day; the decision on its own line', () => {
  for (const width of [60, 80, 120, 250]) {
    for (const [s, perDay] of [
      [priced(), /0\.086 EUR\/day/], // 12 W * 24 h = 0.288 kWh * 0.3
      [status(), /288 Wh\/day/], // no price: the energy a day
    ] as const) {
      const lines = statusLines(s, width);
      for (const l of lines) assert.ok(l.length <= width - 1, `${width} columns: "${l}" is ${l.length} long`);
      const first = lines[0];
      assert.match(first, /24\.2 MH\/s/, `${width}: hashrate in "${first}"`);
      assert.match(first, /547 billion to 1/, `${width}: odds in "${first}"`);
      assert.match(first, /12 W (\(estimated\)|est\.)/, `${width}: watts with their source in "${first}"`);
      assert.match(first, perDay, `${width}: per day in "${first}"`);
      assert.ok(lines.join(' ').includes(s.decision), `${width}: the decision whole:\n${lines.join('\n')}`);
      if (lines.length > 1) assert.ok(!first.includes('mining: every appliance'), 'the decision on its own line');
    }
  }
  // wider: more figures follow the four
  assert.match(compactLine(priced(), 200, '12 W (estimated)'), /shares 1234 ok\/5 rej\/2 stale/);
});

test('the price per kWh is read from the sensor unit (EUR/kWh, ct/kWh, EUR/MWh); an unknown unit shows energy instead', () => {
  assert.deepEqual(pricePerKwh({ electricityPrice: { value: 0.3, unit: 'EUR/kWh' } }), { value: 0.3, currency: 'EUR' });
  assert.deepEqual(pricePerKwh({ electricityPrice: { value: 30, unit: 'ct/kWh' } }), { value: 30, currency: 'ct' });
  assert.deepEqual(pricePerKwh({ electricityPrice: { value: 300, unit: 'EUR/MWh' } }), { value: 0.3, currency: 'EUR' });
  assert.equal(pricePerKwh({ electricityPrice: { value: 0.3, unit: 'EUR' } }), null);
  assert.equal(pricePerKwh({ electricityPrice: { value: null, unit: 'EUR/kWh' } }), null);
  assert.equal(pricePerKwh({}), null);
});

test('the session summary: time mined, shares, energy with its source, cost with a price', () => {
  const t = new SessionTally();
  const t0 = 1_000_000;
  t.observe(priced(), t0);
  t.observe({ ...priced(), mining: false }, t0 + 60_000); // mined the first minute
  t.observe({ ...priced(), mining: true, energyKWh: 2.5, shares: { accepted: 1300, rejected: 6, stale: 0 } }, t0 + 120_000);
  const lines = t.summary(t0 + 150_000); // and the last 30 s
  assert.match(lines[0], /^session: mined 1 minute 30 seconds of /);
  assert.equal(lines[1], '  shares: 1,300 accepted, 6 rejected');
  assert.equal(lines[2], '  energy: 1 kWh (estimated)');
  assert.equal(lines[3], '  cost: 0.3 EUR (estimated)');
  assert.equal(new SessionTally().summary().length, 0, 'nothing before the first status');
  const noPrice = new SessionTally();
  noPrice.observe(status(), t0);
  assert.equal(noPrice.summary(t0).length, 3, 'no cost line without a price');
  const small = new SessionTally();
  small.observe(status(), t0);
  small.observe({ ...status(), energyKWh: 1.5002 }, t0 + 1000);
  assert.match(small.summary(t0 + 1000)[2], /^ {2}energy: 0\.2 Wh \(estimated\) = 0\.0002 kWh$/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatePower, axeosSteps, plugSteps, threadSteps } from '../../src/schedule/index.js';

test('thread steps: 1..n threads, a first-thread extra, the source on every step', () => {
  assert.deepEqual(threadSteps(3, 10, 3e6, 'declared', 15), [
    { watts: 25, hashrate: 3e6, source: 'declared' },
    { watts: 35, hashrate: 6e6, source: 'declared' },
    { watts: 45, hashrate: 9e6, source: 'declared' },
  ]);
  assert.deepEqual(threadSteps(0, 7, 1, 'estimated'), []);
  assert.equal(threadSteps(-3, 7, 1, 'estimated').length, 0);
});

test('AxeOS steps: options at or below the user frequency, current one measured, others scaled and estimated', () => {
  const s = axeosSteps({ frequencyOptions: [400, 490, 525, 575, 600, 625], userFrequency: 575, frequency: 525, power: 15, hashrate: 1.05e12 });
  assert.deepEqual(
    s.map((x) => x.label),
    ['400 MHz', '490 MHz', '525 MHz', '575 MHz'],
  );
  const cur = s[2];
  assert.deepEqual([cur.watts, cur.hashrate, cur.source], [15, 1.05e12, 'measured']);
  assert.equal(s[0].source, 'estimated');
  assert.ok(Math.abs(s[0].watts - (15 * 400) / 525) < 1e-9);
  assert.ok(Math.abs(s[3].hashrate - (1.05e12 * 575) / 525) < 1e-3);
  // overheat: nothing above the current frequency
  assert.deepEqual(
    axeosSteps({ frequencyOptions: [400, 490, 525, 575], userFrequency: 575, frequency: 490, power: 12, hashrate: 1e12, overheat: true }).map((x) => x.label),
    ['400 MHz', '490 MHz'],
  );
  // old firmware without options: only the current one
  assert.deepEqual(
    axeosSteps({ userFrequency: 485, frequency: 485, power: 11, hashrate: 0.5e12 }).map((x) => [x.label, x.source]),
    [['485 MHz', 'measured']],
  );
  // nonsense reading: no steps (the allocator then says its steps cannot be planned with)
  assert.deepEqual(axeosSteps({ userFrequency: 0, frequency: 0, power: 10, hashrate: 1 }), []);
  const r = allocatePower({
    now: 0,
    targetW: 100,
    workers: [{ id: 'x', kind: 'axeos', source: 'measured', steps: axeosSteps({ userFrequency: 0, frequency: Number.NaN, power: 1, hashrate: 1 }) }],
  });
  assert.match(r.plan.workers[0].reason, /no steps listed/);
});

test('plug steps: one step, or none for a bad figure', () => {
  assert.deepEqual(plugSteps(140, 6e12, 'plug'), [{ watts: 140, hashrate: 6e12, source: 'plug' }]);
  assert.deepEqual(plugSteps(Number.NaN, 6e12, 'declared'), []);
});

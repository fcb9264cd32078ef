import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocatePower, bestFigure, parseTargetState, powerStatus, type PowerWorker } from '../../src/schedule/index.js';

const T0 = Date.UTC(2026, 5, 1);
const fleet: PowerWorker[] = [
  { id: 'hub', name: 'Hub', kind: 'hub', source: 'estimated', steps: [1, 2, 3, 4].map((k) => ({ watts: 7 * k, hashrate: 1.5e6 * k })) },
  {
    id: 'gamma',
    name: 'Bitaxe Gamma',
    kind: 'axeos',
    source: 'measured',
    steps: [
      { watts: 12, hashrate: 0.8e12, label: '400 MHz' },
      { watts: 18, hashrate: 1.2e12, label: '600 MHz' },
    ],
  },
  { id: 'nano', name: 'Avalon Nano', kind: 'plug', source: 'plug', steps: [{ watts: 140, hashrate: 6e12 }] },
  { id: 'pc', name: 'Office PC', kind: 'agent', source: 'declared', steps: [{ watts: 25, hashrate: 3e6 }] },
];

test('the best figure: own report, else the plug, else declared, else the estimate; bad figures skipped', () => {
  assert.deepEqual(bestFigure({ own: 16.2, plug: 20, declared: 15 }), { watts: 16.2, how: 'measured' });
  assert.deepEqual(bestFigure({ own: null, plug: 141, declared: 140 }), { watts: 141, how: 'plug' });
  assert.deepEqual(bestFigure({ own: Number.NaN, plug: -3, declared: 25 }), { watts: 25, how: 'declared' });
  assert.deepEqual(bestFigure({ estimated: 21 }), { watts: 21, how: 'estimated' });
  assert.deepEqual(bestFigure({}), { watts: null, how: 'estimated' });
});

test('/api/status power: target, planned, measured with where each figure comes from', () => {
  const target = parseTargetState({ state: '0.2', attributes: { unit_of_measurement: 'kW' } }, { entity: 'sensor.p_deferrable0' });
  const { plan } = allocatePower({ now: T0, targetW: target.watts, targetSource: 'sensor.p_deferrable0', workers: fleet });
  const s = powerStatus(plan, { gamma: { own: 17.4 }, nano: { plug: 138.6 }, hub: { own: null } }, target);
  assert.equal(s.target_w, 200);
  assert.equal(s.source, 'sensor.p_deferrable0');
  assert.equal(s.state, 'sensor.p_deferrable0 reads 0.2 kW = 200 W');
  assert.equal(s.planned_w, plan.planned_w);
  const w = (id: string) => s.workers.find((x) => x.id === id)!;
  assert.deepEqual([w('gamma').measured_w, w('gamma').how], [17.4, 'measured']);
  assert.deepEqual([w('nano').measured_w, w('nano').how], [138.6, 'plug']);
  // the hub has no reading: its planned step's estimate, labelled estimated
  assert.equal(w('hub').how, 'estimated');
  assert.equal(w('hub').measured_w, w('hub').planned_w);
  assert.equal(s.measured_w, Math.round((17.4 + 138.6 + (w('hub').measured_w ?? 0) + (w('pc').measured_w ?? 0)) * 10) / 10);
  assert.match(s.measured_how, /1 measured, 1 plug/);
  assert.ok(s.workers.every((x) => ['measured', 'plug', 'declared', 'estimated'].includes(x.how)));
});

test('/api/status power with no figure: target null, the state says why, nothing planned', () => {
  const target = parseTargetState({ state: 'unavailable' }, { entity: 'sensor.p_deferrable0' });
  const { plan } = allocatePower({ now: T0, targetW: target.watts, targetSource: 'sensor.p_deferrable0', targetNote: target.state, workers: fleet });
  const s = powerStatus(plan, {}, target);
  assert.equal(s.target_w, null);
  assert.equal(s.planned_w, 0);
  assert.match(s.state, /unavailable: no figure, not mining/);
  assert.ok(s.workers.every((x) => x.planned_w === 0 && /no mining on a missing figure/.test(x.step)));
  // off: 0 W mining draw (a declared figure is its draw while working), unless a plug measures it
  const t = powerStatus(plan, { pc: { declared: 25 }, nano: { plug: 1.2 } }, target);
  assert.deepEqual([t.workers.find((x) => x.id === 'pc')!.measured_w, t.workers.find((x) => x.id === 'pc')!.how], [0, 'estimated']);
  assert.deepEqual([t.workers.find((x) => x.id === 'nano')!.measured_w, t.workers.find((x) => x.id === 'nano')!.how], [1.2, 'plug']);
});

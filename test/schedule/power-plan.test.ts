// The power target's allocation applied to the plan (capByPower through schedule()): hub threads
// capped at the allocator's step, workers it keeps off paused, reasons that say which step and why;
// it never starts what the plan paused, and the cap passes the Node-RED input schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allocatePower,
  parsePolicy,
  parseScheduleInput,
  powerCap,
  schedule,
  threadSteps,
  type PowerCap,
  type PowerWorker,
  type ScheduleInput,
} from '../../src/schedule/index.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const pol = (() => {
  const r = parsePolicy({ mode: 'always', headroomCores: 0 });
  if (!r.ok) throw new Error(r.error);
  return r.value;
})();

function input(power: PowerCap | null, paused = false): ScheduleInput {
  return {
    now: T0,
    appliances: [],
    hub: { cores: 4, maxThreads: 4, hashratePerThread: 1e6, wattsPerThread: 7, headroomCores: 0 },
    miners: [
      { id: 'bitaxe', connected: true, hashrate: 5e11, watts: 15 },
      { id: 'pc', connected: true, hashrate: 4e6, watts: 40 },
    ],
    manual: { power, ...(paused ? { paused: true } : {}) },
  };
}

function capFor(targetW: number | null): PowerCap {
  const workers: PowerWorker[] = [
    { id: 'hub', kind: 'hub', steps: threadSteps(4, 7, 1e6, 'estimated'), source: 'estimated' },
    { id: 'bitaxe', kind: 'miner', steps: [{ watts: 15, hashrate: 5e11 }], source: 'declared' },
    { id: 'pc', kind: 'agent', steps: [{ watts: 40, hashrate: 4e6 }], source: 'estimated' },
  ];
  return powerCap(allocatePower({ now: T0, targetW, targetSource: 'set in Home Assistant', workers }).plan);
}

test('a 50 W target: the Bitaxe (most hashes per joule) and 3 hub threads below the deadband; the PC paused, each reason says the step and why', () => {
  const cap = capFor(50);
  const { plan } = schedule(input(cap), pol);
  const hub = plan.workers.find((w) => w.id === 'hub');
  assert.equal(plan.hubThreads, 3);
  assert.match(hub?.reason ?? '', /power target 50 W \(set in Home Assistant\): 3 of 4 threads: 21 W estimated/);
  assert.equal(plan.workers.find((w) => w.id === 'bitaxe')?.action, 'work');
  const pc = plan.workers.find((w) => w.id === 'pc');
  assert.equal(pc?.action, 'pause');
  assert.match(pc?.reason ?? '', /^power target 50 W/);
  assert.ok(plan.expectedWatts <= 50, `${plan.expectedWatts} W planned`);
});

test('no figure: nothing mines and the plan says the figure is missing', () => {
  const { plan } = schedule(input(capFor(null)), pol);
  assert.equal(plan.hubThreads, 0);
  assert.ok(
    plan.workers.every((w) => w.action === 'pause' && /no mining on a missing figure/.test(w.reason)),
    JSON.stringify(plan.workers),
  );
  assert.match(plan.summary, /^not mining: power target/);
});

test('the cap only lowers: a paused plan stays paused whatever the target', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 200 }), fc.boolean(), (w, paused) => {
      const cap = capFor(w);
      const free = schedule(input(null, paused), pol).plan;
      const capped = schedule(input(cap, paused), pol).plan;
      assert.ok(capped.hubThreads <= free.hubThreads);
      assert.ok(capped.hubThreads <= cap.hubThreads);
      for (const d of capped.workers) if (free.workers.find((x) => x.id === d.id)?.action === 'pause') assert.equal(d.action, 'pause');
      assert.ok(capped.expectedWatts <= Math.max(w, 0) + 7 + 1e-9 || cap.hubThreads === 0, `${capped.expectedWatts} W for ${w} W`);
    }),
    { numRuns: 200 },
  );
});

test('the cap travels in the Node-RED schedule input (schema) and an oversized one is refused', () => {
  const ok = parseScheduleInput(input(capFor(50)));
  assert.equal(ok.ok, true);
  assert.equal(ok.ok && ok.value.manual?.power?.hubThreads, 3);
  const bad = parseScheduleInput(input({ target: 'x', hubThreads: 5000, hubReason: '', off: {} }));
  assert.equal(bad.ok, false);
});

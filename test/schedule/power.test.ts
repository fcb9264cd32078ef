import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_POWER_OPTIONS,
  allocatePower,
  largestStepW,
  parsePowerFleet,
  parsePowerState,
  type PowerOptions,
  type PowerState,
  type PowerWorker,
  type PowerWorkerKind,
} from '../../src/schedule/index.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const NO_DEADBAND: PowerOptions = { ...DEFAULT_POWER_OPTIONS, deadbandW: 0, deadbandFraction: 0 };

const hub = (wattsPerThread = 6, threads = 4): PowerWorker => ({
  id: 'hub',
  name: 'Hub',
  kind: 'hub',
  source: 'estimated',
  steps: Array.from({ length: threads }, (_, i) => ({ watts: wattsPerThread * (i + 1), hashrate: 2e6 * (i + 1) })),
});
const bitaxe = (id = 'bitaxe'): PowerWorker => ({
  id,
  kind: 'axeos',
  source: 'measured',
  steps: [
    [400, 11, 0.9e12],
    [490, 13, 1.1e12],
    [525, 14, 1.2e12],
    [600, 17, 1.35e12],
  ].map(([f, w, h]) => ({ watts: w, hashrate: h, label: `${f} MHz` })),
});
const plug = (watts = 800): PowerWorker => ({ id: 'plug', name: 'Avalon', kind: 'plug', source: 'plug', steps: [{ watts, hashrate: 37.5e12 }] });
const pc = (): PowerWorker => ({
  id: 'pc',
  kind: 'agent',
  source: 'declared',
  steps: Array.from({ length: 4 }, (_, i) => ({ watts: 15 * (i + 1), hashrate: 3e6 * (i + 1) })),
});

test('the example: 3 of 4 hub threads, 18 W of the 20 W left (estimated, said so)', () => {
  const { plan } = allocatePower({ now: T0, targetW: 20, workers: [hub()] }, NO_DEADBAND);
  assert.equal(plan.planned_w, 18);
  const h = plan.workers[0];
  assert.equal(h.level, 3);
  assert.equal(h.how, 'estimated');
  assert.equal(h.reason, '3 of 4 threads: 18 W estimated of the 20 W left');
});

test('most hashes per joule first: the ASIC before hub threads, then the plug when it fits', () => {
  const ws = [hub(), bitaxe(), plug()];
  let r = allocatePower({ now: T0, targetW: 30, workers: ws }, NO_DEADBAND);
  const lvl = (id: string) => r.plan.workers.find((w) => w.id === id)!.level;
  assert.equal(lvl('bitaxe'), 4, r.plan.summary); // 17 W at 1.35 TH/s beats any thread
  assert.equal(lvl('hub'), 2); // 12 W of the 13 W left
  assert.equal(lvl('plug'), 0);
  assert.match(r.plan.workers.find((w) => w.id === 'plug')!.reason, /first step \(800 W plug\) does not fit/);
  r = allocatePower({ now: T0, targetW: 830, workers: ws }, NO_DEADBAND);
  assert.equal(lvl('plug'), 1);
  assert.equal(lvl('bitaxe'), 4);
  assert.ok(r.plan.planned_w <= 830);
});

test('no figure: nothing mines and every worker says so (even one inside its minimum on time)', () => {
  const ws = [hub(), plug()];
  const state: PowerState = { at: T0, workers: { plug: { level: 1, since: T0 - 5000, changedAt: T0 - 5000 } } };
  const { plan, state: next } = allocatePower(
    { now: T0 + 1000, targetW: null, targetNote: 'sensor.p_deferrable0 is unavailable', workers: ws },
    DEFAULT_POWER_OPTIONS,
    state,
  );
  assert.equal(plan.planned_w, 0);
  assert.equal(plan.decision, 'no_target');
  for (const w of plan.workers) assert.match(w.reason, /no power target figure \(sensor\.p_deferrable0 is unavailable\): no mining on a missing figure/);
  assert.equal(next.workers.plug.level, 0);
  assert.equal(next.workers.plug.since, T0 + 1000);
});

test('above the target by one step at most, and it says which and why', () => {
  const ws = [hub(), bitaxe(), plug()];
  const on: PowerState = {
    at: T0,
    workers: { plug: { level: 1, since: T0, changedAt: T0 }, bitaxe: { level: 4, since: T0, changedAt: T0 }, hub: { level: 4, since: T0, changedAt: T0 } },
  };
  const { plan } = allocatePower({ now: T0 + 30_000, targetW: 100, workers: ws }, DEFAULT_POWER_OPTIONS, on);
  // the bitaxe (most hashes per joule) is held at its lowest step, then the plug crosses the target
  assert.equal(plan.planned_w, 11 + 800);
  assert.equal(plan.over_w, 711);
  const p = plan.workers.find((w) => w.id === 'plug')!;
  assert.equal(p.held, 'min_on');
  assert.match(p.reason, /711 W above the 100 W target: one step over, kept for its minimum on time \(870 s left\)/);
  const h = plan.workers.find((w) => w.id === 'hub')!;
  assert.equal(h.level, 0);
  assert.match(h.reason, /off inside its minimum on time \(270 s left\): holding it too would put the plan 717 W above the 100 W target, more than one step/);
  assert.match(plan.summary, /711 W above the target: Avalon's step kept for its minimum on time/);
});

test('minimum off time: a worker switched off waits, and says how long', () => {
  const state: PowerState = { at: T0, workers: { plug: { level: 0, since: T0, changedAt: T0 } } };
  const { plan } = allocatePower({ now: T0 + 100_000, targetW: 2000, workers: [plug()] }, DEFAULT_POWER_OPTIONS, state);
  assert.equal(plan.workers[0].level, 0);
  assert.equal(plan.workers[0].held, 'min_off');
  assert.equal(plan.workers[0].reason, 'off 100 s ago: waits 1100 s more (minimum off time)');
  const later = allocatePower({ now: T0 + 1_200_000, targetW: 2000, workers: [plug()] }, DEFAULT_POWER_OPTIONS, state);
  assert.equal(later.plan.workers[0].level, 1);
});

test('on-delay: a short peak switches nothing; a target that wants it long enough switches it on', () => {
  const opts: PowerOptions = {
    ...DEFAULT_POWER_OPTIONS,
    minTimes: { ...DEFAULT_POWER_OPTIONS.minTimes, plug: { ...DEFAULT_POWER_OPTIONS.minTimes.plug, onDelayS: 120 } },
  };
  let r = allocatePower({ now: T0, targetW: 0, workers: [plug(500)] }, opts, { at: T0 - 10_000, workers: {} });
  r = allocatePower({ now: T0 + 10_000, targetW: 900, workers: [plug(500)] }, opts, r.state);
  assert.equal(r.plan.workers[0].level, 0);
  assert.match(r.plan.workers[0].reason, /waits 120 s more before it switches on \(on-delay 120 s/);
  r = allocatePower({ now: T0 + 70_000, targetW: 900, workers: [plug(500)] }, opts, r.state);
  assert.match(r.plan.workers[0].reason, /waits 60 s more/);
  // a dip resets the wait
  r = allocatePower({ now: T0 + 80_000, targetW: 100, workers: [plug(500)] }, opts, r.state);
  r = allocatePower({ now: T0 + 130_000, targetW: 900, workers: [plug(500)] }, opts, r.state);
  assert.equal(r.plan.workers[0].level, 0);
  r = allocatePower({ now: T0 + 250_000, targetW: 900, workers: [plug(500)] }, opts, r.state);
  assert.equal(r.plan.workers[0].level, 1, r.plan.workers[0].reason);
});

test('deadband: a target moving by a few W switches nothing', () => {
  const ws = [hub(), bitaxe('a'), bitaxe('b'), pc()];
  let r = allocatePower({ now: T0, targetW: 100, workers: ws });
  const first = r.plan.workers.map((w) => w.level);
  let changes = 0;
  for (let i = 1; i <= 200; i++) {
    const t = 100 + (i % 2 ? 4 : -4) + (i % 7) - 3; // 93..107 W
    r = allocatePower({ now: T0 + i * 5000, targetW: t, workers: ws }, DEFAULT_POWER_OPTIONS, r.state);
    if (r.plan.workers.some((w, j) => w.level !== first[j])) changes++;
  }
  assert.equal(changes, 0, r.plan.summary);
  assert.equal(r.plan.decision, 'kept');
});

test('bad steps and unavailable workers: off with a reason, never a crash', () => {
  const bad: PowerWorker = {
    id: 'bad',
    kind: 'miner',
    source: 'declared',
    steps: [
      { watts: 10, hashrate: 1 },
      { watts: 5, hashrate: 2 },
    ],
  };
  const nan: PowerWorker = { id: 'nan', kind: 'miner', source: 'declared', steps: [{ watts: Number.NaN, hashrate: 1 }] };
  const none: PowerWorker = { id: 'none', kind: 'miner', source: 'declared', steps: [] };
  const away: PowerWorker = { ...bitaxe('away'), available: false, unavailable: 'not connected' };
  const { plan } = allocatePower({ now: T0, targetW: 500, workers: [bad, nan, none, away, hub()] });
  const reason = (id: string) => plan.workers.find((w) => w.id === id)!.reason;
  assert.match(reason('bad'), /steps cannot be planned with \(step 2: watts must not fall below the step before \(10 W\)\)/);
  assert.match(reason('nan'), /step 1: watts must be a finite number >= 0/);
  assert.match(reason('none'), /no steps listed/);
  assert.equal(reason('away'), 'off: not connected');
  assert.equal(plan.workers.find((w) => w.id === 'hub')!.level, 4);
  // a negative or non-finite target plans nothing and does not throw
  assert.equal(allocatePower({ now: T0, targetW: -50, workers: [hub()] }).plan.planned_w, 0);
  assert.equal(allocatePower({ now: T0, targetW: Number.NaN, workers: [hub()] }).plan.decision, 'no_target');
});

test('fleet and state files: a clear error naming the field', () => {
  const r = parsePowerFleet([{ id: 'x', kind: 'plug', source: 'plug', steps: [{ watts: -1, hashrate: 1 }] }]);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /0\.steps\.0\.watts: must be >= 0/);
  const d = parsePowerFleet([hub(), hub()]);
  assert.match(!d.ok ? d.error : '', /worker ids must be unique/);
  const o = parsePowerFleet([
    {
      ...bitaxe(),
      steps: [
        { watts: 20, hashrate: 1 },
        { watts: 10, hashrate: 1 },
      ],
    },
  ]);
  assert.match(!o.ok ? o.error : '', /steps must be ordered by watts/);
  assert.equal(parsePowerFleet([hub(), bitaxe(), plug(), pc()]).ok, true);
  assert.equal(parsePowerState({ at: 1, workers: { a: { level: -1, since: 0, changedAt: 0 } } }).ok, false);
});

// ---- properties ----

const kinds: PowerWorkerKind[] = ['hub', 'agent', 'axeos', 'plug', 'miner'];
const workerArb = (realWatts: boolean) =>
  fc
    .record({
      kind: fc.constantFrom(...kinds),
      source: fc.constantFrom('measured', 'plug', 'declared', 'estimated' as const),
      incs: fc.array(
        fc.record({
          w: realWatts ? fc.double({ min: 0, max: 400, noNaN: true }) : fc.integer({ min: 0, max: 400 }),
          h: fc.double({ min: 0, max: 1e6, noNaN: true }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    })
    .map(({ kind, source, incs }) => {
      let w = 0;
      let h = 0;
      const steps = incs.map((s) => ({ watts: (w += s.w), hashrate: (h += s.h) }));
      return { kind, source, steps } as Omit<PowerWorker, 'id'>;
    });
const fleetArb = (realWatts = false) =>
  fc.array(workerArb(realWatts), { minLength: 1, maxLength: 6 }).map((ws) => ws.map((w, i) => ({ ...w, id: `w${i}` }) as PowerWorker));
const stateArb = (n: number) =>
  fc.array(
    fc.record({
      level: fc.integer({ min: 0, max: 6 }),
      // mostly inside the minimum times, so holds are common
      sinceAgoS: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3000 })),
      changedAgoS: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 3000 })),
    }),
    {
      minLength: n,
      maxLength: n,
    },
  );

test('property: never above the target by more than one step (any state, any holds)', () => {
  fc.assert(
    fc.property(
      fleetArb().chain((ws) =>
        fc.tuple(fc.constant(ws), stateArb(ws.length), fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3000 }), fc.constant(null))),
      ),
      ([ws, st, target]) => {
        const state: PowerState = { at: T0, workers: {} };
        for (const [i, w] of ws.entries())
          state.workers[w.id] = { level: st[i].level, since: T0 - st[i].sinceAgoS * 1000, changedAt: T0 - st[i].changedAgoS * 1000 };
        const { plan } = allocatePower({ now: T0, targetW: target, workers: ws }, DEFAULT_POWER_OPTIONS, state);
        if (target === null) return plan.planned_w === 0;
        return plan.planned_w <= target + largestStepW(ws);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: monotone in the target (no hold state): more target never plans fewer watts', () => {
  for (const real of [false, true]) {
    fc.assert(
      fc.property(fleetArb(real), fc.array(fc.integer({ min: 0, max: 2500 }), { minLength: 2, maxLength: 40 }), (ws, ts) => {
        const sorted = [...ts].sort((a, b) => a - b);
        let prev = -1;
        for (const t of sorted) {
          const p = allocatePower({ now: T0, targetW: t, workers: ws }).plan;
          if (p.planned_w < prev || p.planned_w > t) return false;
          prev = p.planned_w;
        }
        return true;
      }),
      { numRuns: 150 },
    );
  }
});

test("property: every step comes from the worker's own list, with its own figure and label", () => {
  fc.assert(
    fc.property(fleetArb(true), fc.integer({ min: 0, max: 2500 }), (ws, target) => {
      const { plan } = allocatePower({ now: T0, targetW: target, workers: ws });
      return plan.workers.every((a) => {
        const w = ws.find((x) => x.id === a.id)!;
        if (a.level === 0) return a.planned_w === 0 && a.hashrate === 0;
        const s = w.steps[a.level - 1];
        return (
          a.level <= w.steps.length &&
          s !== undefined &&
          a.hashrate === s.hashrate &&
          a.planned_w === Math.ceil(s.watts - 1e-9) &&
          a.how === (s.source ?? w.source)
        );
      });
    }),
    { numRuns: 300 },
  );
});

test('property: a target flapping every second switches each worker a bounded number of times', () => {
  fc.assert(
    fc.property(fleetArb(), fc.array(fc.oneof(fc.integer({ min: 0, max: 2500 }), fc.constant(null)), { minLength: 600, maxLength: 600 }), (ws, targets) => {
      let state: PowerState | null = null;
      const onOff = new Map<string, number>();
      const steps = new Map<string, number>();
      let prev = new Map<string, number>();
      targets.forEach((t, i) => {
        const r = allocatePower({ now: T0 + i * 1000, targetW: t, workers: ws }, DEFAULT_POWER_OPTIONS, state);
        state = r.state;
        for (const a of r.plan.workers) {
          const p = prev.get(a.id) ?? 0;
          if (p > 0 !== a.level > 0) onOff.set(a.id, (onOff.get(a.id) ?? 0) + 1);
          if (p !== a.level) steps.set(a.id, (steps.get(a.id) ?? 0) + 1);
        }
        prev = new Map(r.plan.workers.map((a) => [a.id, a.level]));
      });
      return ws.every((w) => {
        const mt = DEFAULT_POWER_OPTIONS.minTimes[w.kind];
        // on at once, then each off->on needs minOff (a missing figure may cut an on time short)
        const maxOnOff = 2 * (1 + Math.floor(600 / mt.minOffS));
        // up-steps at most once per minStepS, each followed by at most one down-step, plus the on/off changes
        const maxSteps = 2 * (1 + Math.floor(600 / mt.minStepS)) + maxOnOff;
        return (onOff.get(w.id) ?? 0) <= maxOnOff && (steps.get(w.id) ?? 0) <= maxSteps;
      });
    }),
    { numRuns: 40 },
  );
});

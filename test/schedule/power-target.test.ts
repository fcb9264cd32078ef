import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_POWER_OPTIONS,
  allocatePower,
  followTarget,
  parseTargetState,
  surplusTarget,
  type PowerState,
  type PowerWorker,
  type TargetTrack,
} from '../../src/schedule/index.js';

const E = 'sensor.p_deferrable0';
const s = (state: string, unit?: string) => ({ state, attributes: unit === undefined ? {} : { unit_of_measurement: unit } });

test('W and kW by unit_of_measurement', () => {
  assert.deepEqual(parseTargetState(s('300', 'W'), { entity: E }), { watts: 300, status: 'ok', state: 'sensor.p_deferrable0 reads 300 W' });
  const kw = parseTargetState(s('0.3', 'kW'), { entity: E });
  assert.equal(kw.watts, 300);
  assert.equal(kw.state, 'sensor.p_deferrable0 reads 0.3 kW = 300 W');
  assert.equal(parseTargetState(s('1500', 'mW'), { entity: E }).watts, 1.5);
  const none = parseTargetState(s('250'), { entity: E });
  assert.equal(none.watts, 250);
  assert.match(none.state, /no unit: read as W/);
});

test('unavailable, unknown, missing, not a number, not a power unit: no figure, said so', () => {
  for (const st of ['unavailable', 'unknown', '']) {
    const v = parseTargetState(s(st, 'W'), { entity: E });
    assert.equal(v.watts, null);
    assert.equal(v.status, 'unavailable');
    assert.match(v.state, /no figure, not mining$/);
  }
  assert.equal(parseTargetState(undefined, { entity: E }).status, 'missing');
  const nan = parseTargetState(s('12 W', 'W'), { entity: E });
  assert.deepEqual([nan.watts, nan.status], [null, 'not_a_number']);
  assert.match(nan.state, /reads "12 W", not a number/);
  assert.equal(parseTargetState(s('1e400', 'W'), { entity: E }).status, 'not_a_number');
  const kwh = parseTargetState(s('3', 'kWh'), { entity: E });
  assert.deepEqual([kwh.watts, kwh.status], [null, 'bad_unit']);
  assert.match(kwh.state, /in kWh, not a power unit \(W or kW\)/);
});

test('negative: target 0 with a state saying so', () => {
  const v = parseTargetState(s('-120', 'W'), { entity: E });
  assert.deepEqual([v.watts, v.status], [0, 'negative']);
  assert.equal(v.state, 'sensor.p_deferrable0 reads -120 W: negative, target 0 W (nothing to spend)');
});

test('absurd (above 10 MW, or a set limit): refused with a clear state; above the fleet: the whole fleet', () => {
  const v = parseTargetState(s('10001', 'kW'), { entity: E });
  assert.deepEqual([v.watts, v.status], [null, 'absurd']);
  assert.match(v.state, /reads 10001 kW = 10.001 MW: above 10 MW, refused as absurd: no figure, not mining/);
  assert.equal(parseTargetState(s('-20000000', 'W'), { entity: E }).status, 'absurd');
  assert.equal(parseTargetState(s('6000', 'W'), { entity: E, absurdW: 5000 }).status, 'absurd');
  const cap = parseTargetState(s('5', 'kW'), { entity: E, fleetMaxW: 1500 });
  assert.deepEqual([cap.watts, cap.status], [5000, 'capped']);
  assert.match(cap.state, /above the fleet's 1500 W maximum \(the whole fleet can run\)/);
});

test("surplus: target = surplus, with the sign option and the miners' own draw given back", () => {
  assert.equal(surplusTarget(s('800', 'W'), { entity: 'sensor.grid' }).watts, 800);
  // a grid meter positive on import: inverted
  const inv = surplusTarget(s('-0.8', 'kW'), { entity: 'sensor.grid', inverted: true });
  assert.equal(inv.watts, 800);
  assert.match(inv.state, /^surplus: sensor\.grid reads -0\.8 kW = -800 W, counted the other way$/);
  // export 200 W while mining draws 300 W: 500 W to spend
  const g = surplusTarget(s('200', 'W'), { entity: 'sensor.grid', includesMining: true, miningW: 300 });
  assert.equal(g.watts, 500);
  assert.match(g.state, /\+ 300 W mining draw = 500 W/);
  // importing 100 W while mining 300 W: 200 W
  assert.equal(surplusTarget(s('-100', 'W'), { entity: 'sensor.grid', includesMining: true, miningW: 300 }).watts, 200);
  const neg = surplusTarget(s('-900', 'W'), { entity: 'sensor.grid', includesMining: true, miningW: 300 });
  assert.deepEqual([neg.watts, neg.status], [0, 'negative']);
  assert.equal(surplusTarget(s('unavailable'), { entity: 'sensor.grid', includesMining: true, miningW: 300 }).watts, null);
});

test('a sensor gone for a few seconds keeps its last figure for holdS, then no figure', () => {
  const T = 1_000_000;
  let track: TargetTrack | null = null;
  let r = followTarget(track, parseTargetState(s('300', 'W'), { entity: E }), T);
  track = r.track;
  r = followTarget(track, parseTargetState(s('unavailable'), { entity: E }), T + 5000, 60);
  assert.deepEqual([r.value.watts, r.value.status], [300, 'held']);
  assert.equal(r.value.state, 'sensor.p_deferrable0 is unavailable for 0 s: last figure 300 W kept (up to 60 s)');
  track = r.track;
  r = followTarget(track, parseTargetState(s('unavailable'), { entity: E }), T + 30_000, 60);
  assert.match(r.value.state, /for 25 s: last figure 300 W kept/);
  track = r.track;
  r = followTarget(track, parseTargetState(s('unavailable'), { entity: E }), T + 66_000, 60);
  assert.deepEqual([r.value.watts, r.value.status], [null, 'unavailable']);
  // a figure again: passes at once
  r = followTarget(r.track, parseTargetState(s('120', 'W'), { entity: E }), T + 67_000, 60);
  assert.equal(r.value.watts, 120);
  // never a figure: nothing to hold
  assert.equal(followTarget(null, parseTargetState(s('unknown'), { entity: E }), T).value.watts, null);
});

test('flapping every second through the whole path (sensor -> follower -> allocator): bounded switching', () => {
  const plugMiner: PowerWorker = { id: 'plug', kind: 'plug', source: 'plug', steps: [{ watts: 500, hashrate: 14e12 }] };
  const axe: PowerWorker = {
    id: 'axe',
    kind: 'axeos',
    source: 'measured',
    steps: [11, 13, 14, 17].map((w, i) => ({ watts: w, hashrate: (0.9 + 0.15 * i) * 1e12 })),
  };
  const hubW: PowerWorker = { id: 'hub', kind: 'hub', source: 'estimated', steps: [1, 2, 3, 4].map((k) => ({ watts: 6 * k, hashrate: 2e6 * k })) };
  const states = [s('2', 'kW'), s('0', 'W'), s('unavailable'), s('-300', 'W'), s('40', 'W'), s('9e9', 'W'), s('0.6', 'kW')];
  let track: TargetTrack | null = null;
  let st: PowerState | null = null;
  const T = Date.UTC(2026, 5, 1);
  const switches: Record<string, number> = {};
  const changes: Record<string, number> = {};
  let lastLevel: Record<string, number> = {};
  const HOUR = 3600;
  for (let i = 0; i < HOUR; i++) {
    const f = followTarget(track, parseTargetState(states[(i * 5 + (i >> 3)) % states.length], { entity: E, fleetMaxW: 600 }), T + i * 1000, 60);
    track = f.track;
    const r = allocatePower(
      { now: T + i * 1000, targetW: f.value.watts, targetNote: f.value.state, workers: [plugMiner, axe, hubW] },
      DEFAULT_POWER_OPTIONS,
      st,
    );
    st = r.state;
    for (const a of r.plan.workers) {
      const p = lastLevel[a.id] ?? 0;
      if (p > 0 !== a.level > 0) switches[a.id] = (switches[a.id] ?? 0) + 1;
      if (p !== a.level) changes[a.id] = (changes[a.id] ?? 0) + 1;
    }
    lastLevel = Object.fromEntries(r.plan.workers.map((a) => [a.id, a.level]));
  }
  const m = DEFAULT_POWER_OPTIONS.minTimes;
  // each on/off cycle is at least the minimum off time long
  assert.ok((switches.plug ?? 0) <= 2 * (1 + HOUR / m.plug.minOffS), `plug ${switches.plug}`);
  assert.ok((switches.axe ?? 0) <= 2 * (1 + HOUR / m.axeos.minOffS), `axe ${switches.axe}`);
  // an on miner steps up at most once per minStepS
  assert.ok((changes.axe ?? 0) <= 2 * (1 + HOUR / m.axeos.minStepS) + (switches.axe ?? 0), `axe steps ${changes.axe}`);
  assert.ok((changes.hub ?? 0) <= 2 * (1 + HOUR / m.hub.minStepS) + (switches.hub ?? 0), `hub steps ${changes.hub}`);
  assert.ok((switches.plug ?? 0) >= 1, 'the plug did run at some point (the flapping figure is followed, not ignored)');
});

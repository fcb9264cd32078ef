import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parsePlan,
  parsePolicy,
  parseScheduleInput,
  schedule,
  type ApplianceInput,
  type Policy,
  type PolicyInput,
  type ScheduleInput,
  type ScheduleState,
} from '../../src/schedule/index.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0); // 12:00 UTC

function policy(p: PolicyInput = {}): Policy {
  const r = parsePolicy(p);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const hubAppliance = (status: ApplianceInput['status']): ApplianceInput => ({ id: 'dev-hub', name: 'Hub', status, roles: ['worker'], workerId: 'hub' });
const pc = (status: ApplianceInput['status']): ApplianceInput => ({ id: 'dev-pc', name: 'Old PC', status, roles: ['worker'], workerId: 'pc' });
const washer = (status: ApplianceInput['status']): ApplianceInput => ({
  id: 'dev-washer',
  name: 'Washer',
  status,
  roles: ['load'],
  watts: status === 'busy' ? 2000 : 1,
});

function input(over: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    now: T0,
    appliances: [hubAppliance('idle'), pc('idle'), washer('idle')],
    hub: { cores: 4, maxThreads: 4, hashratePerThread: 2_000_000, wattsPerThread: 8 },
    miners: [
      { id: 'pc', connected: true, hashrate: 5_000_000, watts: 60 },
      { id: 'nerd', connected: true, hashrate: 60_000, watts: 1 },
    ],
    ...over,
  };
}

test('idle_only, everything idle: pinned plan', () => {
  const { plan, state } = schedule(input(), policy());
  assert.deepEqual(plan, {
    at: T0,
    mode: 'idle_only',
    hubThreads: 3,
    workers: [
      { id: 'hub', kind: 'hub', action: 'work', threads: 3, reason: 'hub Hub idle: 3 threads', hashrate: 6_000_000, watts: 24 },
      { id: 'nerd', kind: 'miner', action: 'work', threads: 1, reason: 'dedicated miner, connected', hashrate: 60_000, watts: 1 },
      { id: 'pc', kind: 'miner', action: 'work', threads: 1, reason: 'Old PC idle', hashrate: 5_000_000, watts: 60 },
    ],
    expectedHashrate: 11_060_000,
    expectedWatts: 85,
    budgetW: null,
    idleAppliances: 3,
    gate: null,
    summary: 'mining: 3 threads, 2 miners, 3 appliances idle (11.1 MH/s, ~85 W)',
    hubLimit: '3 of 4 threads: 1 core kept for Home Assistant (headroom 1)',
  });
  assert.deepEqual(state, {
    at: T0,
    workers: {
      hub: { on: true, since: T0, workedMs: 0, threads: 3 },
      nerd: { on: true, since: T0, workedMs: 0, threads: 1 },
      pc: { on: true, since: T0, workedMs: 0, threads: 1 },
    },
  });
  assert.ok(parsePlan(plan).ok, 'the plan passes its own schema');
});

test('idle_only: the hub turning busy stops its threads at once, a busy PC pauses its miner', () => {
  const first = schedule(input(), policy());
  const { plan } = schedule(input({ now: T0 + 1000, appliances: [hubAppliance('busy'), pc('unknown'), washer('idle')] }), policy(), first.state);
  assert.equal(plan.hubThreads, 0);
  assert.deepEqual(
    plan.workers.map((w) => [w.id, w.action, w.reason]),
    [
      ['hub', 'pause', 'hub Hub is busy'],
      ['nerd', 'work', 'dedicated miner, connected'],
      ['pc', 'pause', 'Old PC is unknown'],
    ],
  );
  assert.equal(plan.summary, 'mining: 1 miner, 1 appliance idle (60 kH/s, ~1 W)');
});

test('always ignores idle states but keeps the headroom, the policy cap and the hand-set cap', () => {
  const busy = input({ appliances: [hubAppliance('busy'), pc('busy')] });
  assert.equal(schedule(busy, policy({ mode: 'always' })).plan.hubThreads, 3);
  assert.equal(schedule(busy, policy({ mode: 'always', headroomCores: 2 })).plan.hubThreads, 2);
  assert.equal(schedule(busy, policy({ mode: 'always', maxHubThreads: 1 })).plan.hubThreads, 1);
  const manual = schedule({ ...busy, manual: { maxThreads: 2 } }, policy({ mode: 'always' })).plan;
  assert.equal(manual.hubThreads, 2);
  const zero = schedule(busy, policy({ mode: 'always', maxHubThreads: 0 })).plan;
  assert.equal(zero.workers[0].reason, 'no hub threads: policy maximum 0');
});

test('gates: manual pause, quiet hours across midnight (local time), price ceiling, yield to a busy load', () => {
  const paused = schedule(input({ manual: { paused: true } }), policy()).plan;
  assert.equal(paused.summary, 'not mining: mining switched off by hand');
  assert.ok(paused.workers.every((w) => w.action === 'pause'));

  const night = policy({ quietHours: [{ start: '22:00', end: '07:00' }] });
  // 12:00 UTC is 23:00 at UTC+11
  assert.equal(schedule(input({ utcOffsetMinutes: 660 }), night).plan.summary, 'not mining: quiet hours 22:00-07:00');
  assert.equal(schedule(input({ utcOffsetMinutes: -300 }), night).plan.hubThreads, 3); // 07:00 local: quiet hours over

  const pricey = schedule(input({ budget: { price: 0.41 } }), policy({ priceCeiling: 0.3 })).plan;
  assert.equal(pricey.gate, 'price 0.41 above ceiling 0.3');
  assert.equal(schedule(input({ budget: { price: 0.2 } }), policy({ priceCeiling: 0.3 })).plan.hubThreads, 3);

  const y = policy({ yieldTo: ['Washer'] });
  assert.equal(schedule(input(), y).plan.hubThreads, 3);
  const w = schedule(input({ appliances: [hubAppliance('idle'), washer('busy')] }), y).plan;
  assert.equal(w.summary, 'not mining: Washer is busy: mining yields to it');
});

test('hub CPU used by others above the limit: the hub yields, miners go on', () => {
  const i = input();
  i.hub = { ...i.hub!, otherLoadPercent: 85 };
  const { plan } = schedule(i, policy({ maxHubLoadPercent: 60 }));
  assert.equal(plan.hubThreads, 0);
  assert.equal(plan.workers[0].reason, 'the rest of the machine uses 85% CPU, above the 60% limit');
  assert.equal(plan.workers.filter((w) => w.action === 'work').length, 2);
});

test('surplus: stages floor the surplus, the budget is shared thread by thread, pinned plan', () => {
  const p = policy({ mode: 'surplus', stagesW: [20, 40, 80], minPauseSeconds: 0 });
  const { plan } = schedule(input({ budget: { surplusW: 64 } }), p);
  assert.equal(plan.budgetW, 40);
  assert.deepEqual(
    plan.workers.map((w) => [w.id, w.action, w.threads, w.reason]),
    [
      ['hub', 'work', 3, 'hub Hub idle; 3 threads (24 W) of 40 W surplus'],
      ['nerd', 'work', 1, 'dedicated miner, connected; 1 W of 40 W surplus'],
      [
        'pc',
        'pause',
        0,
        'does not fit the budget: needs 60 W, 16 W left of 40 W' /* hub and the PC are more efficient than the NerdMiner, so they are tried first */,
      ],
    ],
  );
  assert.equal(plan.summary, 'mining: 3 threads, 1 miner, 3 appliances idle, 40 W surplus (6.1 MH/s, ~25 W)');
  assert.ok(plan.expectedWatts <= 40);
  // below the first stage: nothing
  const low = schedule(input({ budget: { surplusW: 19 } }), p).plan;
  assert.equal(low.expectedWatts, 0);
  assert.equal(low.budgetW, 0);
  // negative surplus (importing) is no budget
  assert.equal(schedule(input({ budget: { surplusW: -500 } }), p).plan.expectedWatts, 0);
});

test('surplus: static budget fallback, and no budget at all is a clear gate', () => {
  const p = policy({ mode: 'surplus', staticBudgetW: 17 });
  const plan = schedule(input({ budget: { surplusW: null } }), p).plan;
  assert.equal(plan.budgetW, 17);
  assert.equal(plan.hubThreads, 2);
  assert.equal(schedule(input({ budget: { staticW: 8 } }), policy({ mode: 'surplus' })).plan.hubThreads, 1);
  assert.equal(schedule(input(), policy({ mode: 'surplus' })).plan.gate, 'surplus mode without a budget (no surplus sensor reading and no static budget)');
});

test('budget shrink stops work at once; restart waits the minimum pause (no flapping)', () => {
  const p = policy({ mode: 'surplus', minPauseSeconds: 30, minRunSeconds: 60 });
  const only = (now: number, surplusW: number): ScheduleInput => input({ now, miners: [], budget: { surplusW } });
  let r = schedule(only(T0, 24), p);
  assert.equal(r.plan.hubThreads, 3);
  r = schedule(only(T0 + 1000, 10), p, r.state);
  assert.equal(r.plan.hubThreads, 1, 'shrinks at once even inside the minimum run');
  r = schedule(only(T0 + 2000, 5), p, r.state);
  assert.equal(r.plan.hubThreads, 0);
  const stoppedAt = T0 + 2000;
  r = schedule(only(T0 + 12_000, 100), p, r.state);
  assert.equal(r.plan.hubThreads, 0);
  assert.equal(r.plan.workers[0].reason, 'paused 10 s ago: waits 20 s more (minimum pause)');
  // the surplus flickers: still no start before 30 s
  r = schedule(only(T0 + 20_000, 0), p, r.state);
  r = schedule(only(T0 + 25_000, 100), p, r.state);
  assert.equal(r.plan.hubThreads, 0);
  assert.equal(r.state.workers.hub.since, stoppedAt, 'pausing again does not restart the pause clock');
  r = schedule(only(stoppedAt + 30_000, 100), p, r.state);
  assert.equal(r.plan.hubThreads, 3);
});

test('surplus fairness: two equal miners share a one-miner budget in turns of the minimum run', () => {
  const p = policy({ mode: 'surplus', minRunSeconds: 60, minPauseSeconds: 0, staticBudgetW: 10 });
  const mk = (now: number): ScheduleInput => ({
    now,
    appliances: [],
    hub: null,
    miners: [
      { id: 'a', connected: true, hashrate: 100, watts: 10 },
      { id: 'b', connected: true, hashrate: 100, watts: 10 },
    ],
  });
  let state: ScheduleState | null = null;
  const who: string[] = [];
  for (let s = 0; s <= 300; s += 10) {
    const r = schedule(mk(T0 + s * 1000), p, state);
    state = r.state;
    const on = r.plan.workers.filter((w) => w.action === 'work').map((w) => w.id);
    assert.equal(on.length, 1, `exactly one miner fits at ${s} s`);
    who.push(on[0]);
  }
  // a runs 0..60 s (6 ticks: locked below 60 s), then b takes over, and so on
  assert.equal(who.slice(0, 6).join(''), 'aaaaaa');
  assert.equal(who.slice(6, 12).join(''), 'bbbbbb');
  const switches = who.slice(1).filter((w, i) => w !== who[i]).length;
  assert.ok(switches >= 3 && switches <= 5, `turns, not flapping: ${who.join('')}`);
  const counts = { a: who.filter((w) => w === 'a').length, b: who.filter((w) => w === 'b').length };
  assert.ok(Math.abs(counts.a - counts.b) <= 7, `fair: ${JSON.stringify(counts)}`);
});

test('disconnected miners pause; no workers at all says so', () => {
  const i = input({ miners: [{ id: 'pc', connected: false, hashrate: 1, watts: 1 }] });
  assert.equal(schedule(i, policy()).plan.workers.find((w) => w.id === 'pc')!.reason, 'not connected');
  assert.equal(schedule(input({ hub: null, miners: [] }), policy()).plan.summary, 'not mining: no workers');
});

test('deterministic: input order does not matter, and the same input gives the same plan', () => {
  const a = input();
  const b = { ...a, appliances: [...a.appliances].reverse(), miners: [...a.miners].reverse() };
  assert.deepEqual(schedule(a, policy()), schedule(b, policy()));
  fc.assert(
    fc.property(
      fc.record({
        surplus: fc.integer({ min: -2000, max: 5000 }),
        hubStatus: fc.constantFrom('idle', 'busy', 'unknown'),
        mode: fc.constantFrom('always', 'idle_only', 'surplus'),
        threads: fc.integer({ min: 0, max: 8 }),
      }),
      (r) => {
        const i = input({ appliances: [hubAppliance(r.hubStatus as ApplianceInput['status'])], budget: { surplusW: r.surplus } });
        const p = policy({ mode: r.mode as Policy['mode'], maxHubThreads: r.threads });
        const x = schedule(i, p);
        assert.deepEqual(x, schedule(structuredClone(i), p));
        assert.ok(x.plan.hubThreads <= Math.min(r.threads, 3));
        if (r.mode === 'surplus') assert.ok(x.plan.expectedWatts <= Math.max(0, r.surplus) + 1e-9);
        if (r.mode !== 'always' && r.hubStatus !== 'idle') assert.equal(x.plan.hubThreads, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('bad input and bad policy: clear errors naming the field', () => {
  const r = parseScheduleInput({ now: 'soon', appliances: [{ id: '', name: 'x', status: 'idle', roles: [] }], hub: null, miners: [] });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.error, /^bad schedule input: /);
    assert.match(r.error, /now: /);
    assert.match(r.error, /appliances\.0\.id: must not be empty/);
  }
  const p = parsePolicy({ mode: 'sometimes', quietHours: [{ start: '25:00', end: '07:00' }] });
  assert.equal(p.ok, false);
  if (!p.ok) {
    assert.match(p.error, /mode: /);
    assert.match(p.error, /quietHours\.0\.start: must be HH:MM/);
  }
  assert.equal(parsePolicy({ quietHours: [{ start: '07:00', end: '07:00' }] }).ok, false);
  assert.equal(parseScheduleInput({ now: 1, appliances: new Array(5001).fill(hubAppliance('idle')), hub: null, miners: [] }).ok, false, 'bounded');
  assert.equal(parsePlan({ hubThreads: -1 }).ok, false);
});

test('a mode chosen by hand (HA select entity, add-on option) overrides the flow policy mode', () => {
  const pol = policy({ mode: 'idle_only' });
  const busy = input({ appliances: [hubAppliance('busy')] });
  assert.equal(schedule(busy, pol).plan.hubThreads, 0);
  const forced = schedule({ ...busy, manual: { mode: 'always' } }, pol).plan;
  assert.ok(forced.hubThreads > 0, forced.summary);
  assert.equal(schedule({ ...busy, manual: { mode: null } }, pol).plan.hubThreads, 0);
  assert.equal(parseScheduleInput({ ...busy, manual: { mode: 'sometimes' } }).ok, false);
});

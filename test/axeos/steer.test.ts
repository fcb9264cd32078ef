// Steering as pure functions, with properties (fast-check): a value sent is always one the
// device lists (or the user's own put back); never a raise under overheat or a power fault;
// monotone in the budget; a minimum time between changes; the user's own settings restored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allowedFrequencies, decide, estimateWatts, frequencyForBudget, isSendable, restore, steps, type SteerInput } from '../../src/axeos/index.js';

const BM1370 = { frequency: [400, 490, 525, 550, 600, 625], voltage: [1000, 1060, 1100, 1150, 1200, 1250] };
const REF = { power_w: 18, frequency_mhz: 525, core_voltage_mv: 1150, hashrate_ghs: 1071 };

function input(over: Partial<SteerInput> = {}): SteerInput {
  return {
    options: BM1370,
    user: { frequency: 525, coreVoltage: 1150 },
    frequency: 525,
    coreVoltage: 1150,
    paused: false,
    overheat: false,
    powerFault: false,
    canPause: true,
    budgetW: null,
    ref: REF,
    now: 1_000_000,
    lastChangeAt: null,
    minIntervalMs: 60_000,
    ...over,
  };
}

const optionList = fc.uniqueArray(fc.integer({ min: 50, max: 1200 }), { maxLength: 12 }).map((a) => a.sort((x, y) => x - y));
const arbInput = fc.record({
  freq: optionList,
  volt: fc.uniqueArray(fc.integer({ min: 800, max: 1500 }), { maxLength: 8 }).map((a) => a.sort((x, y) => x - y)),
  userF: fc.integer({ min: 50, max: 1200 }),
  userV: fc.integer({ min: 800, max: 1500 }),
  curF: fc.option(fc.integer({ min: 1, max: 1300 }), { nil: null }),
  curV: fc.option(fc.integer({ min: 700, max: 1600 }), { nil: null }),
  paused: fc.boolean(),
  overheat: fc.boolean(),
  powerFault: fc.boolean(),
  canPause: fc.boolean(),
  budget: fc.option(fc.double({ min: 0, max: 200, noNaN: true }), { nil: null }),
  refW: fc.double({ min: 1, max: 60, noNaN: true }),
  refF: fc.integer({ min: 50, max: 1200 }),
  waited: fc.integer({ min: 0, max: 200_000 }),
  lastChange: fc.boolean(),
});

type Gen = typeof arbInput extends fc.Arbitrary<infer T> ? T : never;

function toInput(a: Gen): SteerInput {
  return input({
    options: { frequency: a.freq, voltage: a.volt },
    user: { frequency: a.userF, coreVoltage: a.userV },
    frequency: a.curF,
    coreVoltage: a.curV,
    paused: a.paused,
    overheat: a.overheat,
    powerFault: a.powerFault,
    canPause: a.canPause,
    budgetW: a.budget,
    ref: { power_w: a.refW, frequency_mhz: a.refF, core_voltage_mv: a.userV, hashrate_ghs: a.refF * 2 },
    now: 1_000_000,
    lastChangeAt: a.lastChange ? 1_000_000 - a.waited : null,
  });
}

test('property: a frequency or voltage decided is always listed (or the user’s own), never above the user’s own', () => {
  let sets = 0;
  fc.assert(
    fc.property(arbInput, (a) => {
      const i = toInput(a);
      const d = decide(i);
      if (d.action !== 'set') return;
      sets++;
      if (d.frequency !== undefined) {
        if (i.options.frequency.length)
          assert.ok(i.options.frequency.includes(d.frequency) || d.frequency === i.user.frequency, `${d.frequency} not in ${i.options.frequency}`);
        else assert.ok(d.frequency === i.user.frequency || (i.frequency !== null && d.frequency <= i.frequency), 'no list: never above the current setting');
        assert.ok(d.frequency <= i.user.frequency);
        assert.ok(isSendable(d.frequency, i.options.frequency, i.user.frequency, i.frequency));
      }
      if (d.coreVoltage !== undefined) assert.ok(i.options.voltage.includes(d.coreVoltage) || d.coreVoltage === i.user.coreVoltage);
    }),
    { numRuns: 5000 },
  );
  assert.ok(sets > 200, `the property saw ${sets} changes`);
});

test('property: never a raise (nor a resume) while overheat_mode or a power fault shows', () => {
  fc.assert(
    fc.property(arbInput, (a) => {
      const i = toInput({ ...a, overheat: a.overheat || !a.powerFault, powerFault: a.powerFault });
      const d = decide(i);
      assert.notEqual(d.action, 'resume');
      if (d.action === 'set') {
        assert.ok(i.frequency !== null && d.frequency !== undefined && d.frequency <= i.frequency, `raised ${i.frequency} -> ${d.frequency}`);
        assert.ok(d.coreVoltage === undefined || (i.coreVoltage !== null && d.coreVoltage <= i.coreVoltage));
      }
    }),
    { numRuns: 5000 },
  );
});

test('property: the step is monotone in the budget (more watts never picks a lower frequency)', () => {
  fc.assert(
    fc.property(arbInput, fc.double({ min: 0, max: 200, noNaN: true }), fc.double({ min: 0, max: 200, noNaN: true }), (a, b1, b2) => {
      const [lo, hi] = b1 <= b2 ? [b1, b2] : [b2, b1];
      const i = toInput(a);
      const allowed = allowedFrequencies(i.options, i.user, i.frequency);
      assert.ok(frequencyForBudget(allowed, i.ref!, i.user.coreVoltage, lo) <= frequencyForBudget(allowed, i.ref!, i.user.coreVoltage, hi));
      // the decision itself, on a device hashing at its user's step, no hold, no wait
      const eff = (budgetW: number) => {
        const j = { ...i, budgetW, paused: false, overheat: false, powerFault: false, lastChangeAt: null, frequency: i.user.frequency };
        const d = decide(j);
        if (d.action === 'set') return d.frequency!;
        if (d.action === 'pause') return 0;
        return j.frequency;
      };
      assert.ok(eff(lo) <= eff(hi), `budget ${lo} -> ${eff(lo)} MHz, ${hi} -> ${eff(hi)} MHz`);
    }),
    { numRuns: 3000 },
  );
});

test('property: within the minimum interval nothing changes', () => {
  fc.assert(
    fc.property(arbInput, (a) => {
      const i = toInput({ ...a, lastChange: true, waited: a.waited % 60_000 });
      assert.ok(!['set', 'pause', 'resume'].includes(decide(i).action));
    }),
    { numRuns: 3000 },
  );
});

test('a budget steps the frequency down through the listed options, then pauses (v2.14) or says only the plug can stop it', () => {
  assert.deepEqual(decide(input({ budgetW: 17 })), { action: 'set', frequency: 490, reason: 'a step down to fit 17 W' });
  assert.equal((decide(input({ budgetW: 14 })) as { frequency: number }).frequency, 400);
  assert.equal(decide(input({ budgetW: 5 })).action, 'pause');
  const plug = decide(input({ budgetW: 5, canPause: false, frequency: 400 }));
  assert.equal(plug.action, 'plug');
  assert.match(plug.reason, /only the plug/);
  assert.deepEqual(decide(input({ budgetW: 5, canPause: false })), {
    action: 'set',
    frequency: 400,
    reason: 'the budget is below the lowest step: lowest step (only the plug can stop this firmware)',
  });
  assert.equal(decide(input({ budgetW: 30, frequency: 400 })).action, 'set', 'up again to the user’s own');
  assert.equal((decide(input({ budgetW: 100, frequency: 400 })) as { frequency: number }).frequency, 525, 'never above the user’s own');
  assert.equal(decide(input({ budgetW: 100, frequency: 400, overheat: true })).action, 'none');
  assert.equal(decide(input({ budgetW: 100, paused: true, powerFault: true })).action, 'none');
  assert.equal(decide(input({ budgetW: 100, paused: true })).action, 'resume');
  assert.equal(decide(input({ budgetW: 17, lastChangeAt: 1_000_000 - 1000 })).action, 'none');
});

test('no options listed (old firmware): no frequency steps; the plug or pause is the only lower step', () => {
  const i = input({ options: { frequency: [], voltage: [] }, canPause: false });
  assert.deepEqual(allowedFrequencies(i.options, i.user, 525), [525]);
  assert.equal(decide({ ...i, budgetW: 17 }).action, 'plug');
  assert.equal(isSendable(600, [], 525, 525), false);
  assert.equal(isSendable(490, [], 525, 525), true);
});

test('steps for the allocator: ascending, estimated, watts ∝ frequency at the user’s voltage', () => {
  const s = steps(BM1370, { frequency: 525, coreVoltage: 1150 }, 525, REF, true);
  assert.deepEqual(
    s.map((x) => x.frequency_mhz),
    [0, 400, 490, 525],
  );
  assert.ok(s.every((x) => x.source === 'estimated'));
  assert.equal(s.at(-1)!.watts, 18);
  assert.equal(s[1]!.watts, Math.round(18 * (400 / 525) * 100) / 100);
  for (let k = 1; k < s.length; k++) assert.ok(s[k]!.watts > s[k - 1]!.watts);
  assert.deepEqual(steps(BM1370, { frequency: 525, coreVoltage: 1150 }, 525, null, true), [], 'no reading: no steps');
  assert.ok(Math.abs(estimateWatts(REF, 525, 1150 * 1.1) - 18 * 1.21) < 1e-9, 'voltage squared');
});

test('restore: the user’s own settings back; a raise held while overheated; resume only when not held', () => {
  const user = { frequency: 525, coreVoltage: 1150 };
  assert.deepEqual(restore({ user, frequency: 400, coreVoltage: 1150, paused: true, overheat: false, powerFault: false }), [
    { action: 'set', frequency: 525, reason: 'the user’s own settings back' },
    { action: 'resume', reason: 'steering ended: mining again' },
  ]);
  assert.deepEqual(restore({ user, frequency: 525, coreVoltage: 1150, paused: false, overheat: false, powerFault: false }), []);
  assert.deepEqual(restore({ user, frequency: 400, coreVoltage: 1150, paused: true, overheat: true, powerFault: false }), []);
  assert.deepEqual(
    restore({ user, frequency: 600, coreVoltage: 1200, paused: false, overheat: true, powerFault: false }),
    [{ action: 'set', frequency: 525, coreVoltage: 1150, reason: 'the user’s own settings back' }],
    'a lowering is fine even when held',
  );
});

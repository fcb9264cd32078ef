// The lenient reader of AxeOS info: three firmware generations, a fork's strings, missing fields
// and other types. Pure: no I/O (the info objects come from the stand-in's generator, no server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BadReply, mergeLive, normalizeMac, parseAsic, parseDifficulty, parseInfo, readingState } from '../../src/axeos/index.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

test('bestDiff as firmware and forks send it: numbers, numeric strings, 1000-based suffixes', () => {
  assert.equal(parseDifficulty(123456), 123456);
  assert.equal(parseDifficulty('123456'), 123456);
  assert.equal(parseDifficulty('270M'), 270e6);
  assert.equal(parseDifficulty('4.29G'), 4.29e9);
  assert.equal(parseDifficulty('12.5k'), 12500);
  assert.equal(parseDifficulty('1.2 T'), 1.2e12);
  assert.equal(parseDifficulty(' 7 '), 7);
  for (const bad of ['', 'abc', '4.29X', '-5', -5, null, undefined, true, {}, [], NaN, Infinity, '1'.repeat(60)])
    assert.equal(parseDifficulty(bad), null, String(bad));
});

test('parseDifficulty never throws and is never negative, whatever it gets', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.double(), fc.integer(), fc.constant(null), fc.object()), (v) => {
      const d = parseDifficulty(v);
      assert.ok(d === null || (Number.isFinite(d) && d >= 0));
    }),
    { numRuns: 2000 },
  );
});

for (const gen of ['legacy', 'v2.9', 'v2.14'] as const) {
  test(`stand-in ${gen} info reads into the model`, () => {
    const s = new AxeosStandIn({ generation: gen, mac: 'aa:bb:cc:dd:ee:01', hostname: 'bitaxe-kitchen' });
    s.credit(true, 4.29e9);
    const r = parseInfo(s.info());
    assert.equal(r.frequency_mhz, 525);
    assert.equal(r.core_voltage_mv, 1150);
    assert.ok(r.power_w! > 10 && r.power_w! < 30, `power ${r.power_w}`);
    assert.equal(r.mac, 'AA:BB:CC:DD:EE:01');
    assert.equal(r.hostname, 'bitaxe-kitchen');
    assert.equal(r.asic_model, 'BM1370');
    assert.ok(Math.abs(r.best_difficulty! - 4.29e9) < 1e7, `best ${r.best_difficulty}`);
    assert.equal(r.overheat, false);
    assert.equal(r.power_fault, null);
    assert.ok(r.hashrate_ghs! > 1000);
    assert.ok(r.input_voltage_v! > 5 && r.input_voltage_v! < 5.2);
    assert.equal(r.paused, gen === 'v2.14' ? false : null, 'miningPaused only from v2.14');
    assert.equal(r.expected_hashrate_ghs === null, gen === 'legacy');
    assert.equal(readingState(r), 'ok');
  });
}

test('a fork that sends numbers as strings and difficulties as "270M" / "4.29G" reads the same', () => {
  const r = parseInfo(new AxeosStandIn({ generation: 'v2.14', fork: true }).info());
  assert.equal(r.frequency_mhz, 525);
  assert.equal(typeof r.power_w, 'number');
  assert.equal(r.best_difficulty, 270e6);
  assert.equal(r.best_session_difficulty, 4.29e9);
  assert.equal(r.firmware, 'v1.0.30-nerdqaxe');
});

test('fields of another type become null, the rest still reads; overheat and power fault show', () => {
  const s = new AxeosStandIn({ generation: 'v2.14' });
  s.overheat();
  s.powerFault = 'Input voltage too low';
  const raw = { ...s.info(), temp: { c: 50 }, power: [1], bestDiff: true, hostname: 42, macAddr: 'nope', fanspeed: -3 };
  const r = parseInfo(raw);
  assert.equal(r.temp_c, null);
  assert.equal(r.power_w, null);
  assert.equal(r.best_difficulty, null);
  assert.equal(r.hostname, '42');
  assert.equal(r.mac, null);
  assert.equal(r.fan_percent, null);
  assert.equal(r.frequency_mhz, 525);
  assert.equal(r.overheat, true);
  assert.equal(r.power_fault, 'Input voltage too low');
  assert.equal(readingState(r), 'overheated');
  assert.equal(readingState({ ...r, overheat: false }), 'power fault');
});

test('what is not an AxeOS info object is a BadReply (never a crash)', () => {
  for (const raw of [null, 42, 'x', [], {}, { hello: 'router' }, { power: 1 }]) assert.throws(() => parseInfo(raw), BadReply, JSON.stringify(raw));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('ASICModel', 'hashRate', 'frequency', 'power', 'bestDiff', 'macAddr', 'temp', 'x'), fc.anything()), (o) => {
      try {
        const r = parseInfo(o);
        assert.equal(typeof r.overheat, 'boolean');
      } catch (err) {
        assert.ok(err instanceof BadReply);
      }
    }),
    { numRuns: 1000 },
  );
});

test('asic options: sorted, unique, positive, bounded; junk dropped', () => {
  const a = parseAsic({ ASICModel: 'BM1370', frequencyOptions: [625, 400, '490', 400, -1, 'x', null], voltageOptions: 'nope' });
  assert.deepEqual(a.frequencyOptions, [400, 490, 625]);
  assert.deepEqual(a.voltageOptions, []);
  assert.equal(parseAsic({ frequencyOptions: Array.from({ length: 500 }, (_, i) => i + 1) }).frequencyOptions.length, 64);
  assert.throws(() => parseAsic([1]), BadReply);
});

test('MAC normalization and live merges (changed fields over the last object, no prototype keys)', () => {
  assert.equal(normalizeMac('aa-bb-cc-dd-ee-ff'), 'AA:BB:CC:DD:EE:FF');
  assert.equal(normalizeMac('aabbccddeeff'), null);
  const merged = mergeLive({ power: 1, temp: 50 }, JSON.parse('{"power": 2, "__proto__": {"x": 1}}'));
  assert.deepEqual(merged, { power: 2, temp: 50 });
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.deepEqual(mergeLive({ a: 1 }, [1, 2]), { a: 1 });
});

// One number formatter (issue 23 item 3), tested with properties: every figure reads back as the
// number it was made from (within its 3 significant digits), never shows an exponent or NaN, and
// the examples of the issue come out as the issue writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatCount,
  formatDifficulty,
  formatDuration,
  formatEnergy,
  formatHashrate,
  formatOdds,
  formatOneIn,
  formatPower,
  formatSI,
} from '../../src/core/index.js';

const SI: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Z: 1e21, Y: 1e24, R: 1e27, Q: 1e30 };
const WORDS: Record<string, number> = {
  million: 1e6,
  billion: 1e9,
  trillion: 1e12,
  quadrillion: 1e15,
  quintillion: 1e18,
  sextillion: 1e21,
  septillion: 1e24,
  octillion: 1e27,
  nonillion: 1e30,
  decillion: 1e33,
};

/** "24.2 MH/s" -> 24.2e6; "1.2 × 10^40 H/s" -> 1.2e40 */
function parseSI(s: string, unit: string): number {
  const p = /^(-?[\d.]+) × 10\^(\d+)(?: (.*))?$/.exec(s);
  if (p) {
    assert.equal(p[3] ?? '', unit, s);
    return Number(p[1]) * 10 ** Number(p[2]);
  }
  const m = new RegExp(`^(-?[\\d.]+)(?: ([kMGTPEZYRQ]?)${unit.replace('/', '\\/')})?$`).exec(unit ? s : s.replace(/ ([kMGTPEZYRQ])$/, ' $1'));
  assert.ok(m, `"${s}" reads as a number with an SI prefix and ${unit || 'no unit'}`);
  return Number(m[1]) * SI[m[2] ?? ''];
}

/** "547 billion" / "12,300" / "1.2 × 10^40" -> the number */
function parseLarge(s: string): number {
  const p = /^([\d.]+) × 10\^(\d+)$/.exec(s);
  if (p) return Number(p[1]) * 10 ** Number(p[2]);
  const m = /^([\d.,]+)(?: (\w+))?$/.exec(s);
  assert.ok(m, `"${s}" reads as a number in words`);
  return Number(m[1].replace(/,/g, '')) * (m[2] ? WORDS[m[2]] : 1);
}

const UNIT_S: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400, year: 365.25 * 86_400 };
function parseDuration(s: string): number {
  if (s === 'less than a second') return 0.5;
  const big = /^(.+) years?$/.exec(s);
  if (big && !/ (day|hour|minute|second)/.test(s)) return parseLarge(big[1]) * UNIT_S.year;
  let total = 0;
  const re = /(\d+) (second|minute|hour|day|year)s?/g;
  let m: RegExpExecArray | null;
  let parts = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * UNIT_S[m[2]];
    parts++;
  }
  assert.ok(parts >= 1 && parts <= 2, `"${s}" has one or two units`);
  return total;
}

const close = (got: number, want: number, rel = 0.005) => Math.abs(got - want) <= rel * Math.abs(want) + 1e-12;
const clean = (s: string) => !/NaN|undefined|e[+-]?\d|Infinity/.test(s) && s.length > 0 && s.length <= 40;

test('the examples of the issue read as the issue writes them', () => {
  assert.equal(formatOneIn(547_000_000_000), '547 billion to 1');
  assert.equal(formatOdds(1 / 3.8e12), '3.8 trillion to 1');
  assert.equal(formatDifficulty(114_167_000_000_000), '114 T');
  assert.equal(formatDifficulty(1.2e14), '120 T');
  assert.equal(formatHashrate(24_200_000), '24.2 MH/s');
  assert.equal(formatPower(15, 'estimated'), '15 W (estimated)');
  assert.equal(formatEnergy(1.5, 'measured'), '1.5 kWh (measured)');
  assert.equal(formatDuration(3 * 86_400 + 4 * 3600 + 100), '3 days 4 hours');
  assert.equal(formatDuration(45), '45 seconds');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), 'never');
  assert.equal(formatDifficulty(0.00015), '0.00015', 'a NerdMiner share difficulty');
  assert.equal(formatHashrate(0), '0 H/s', 'stopped reads 0');
  assert.equal(formatOdds(0), 'none', 'not hashing');
  assert.equal(formatCount(1_234_567), '1,234,567');
  // rounding never writes "1000 k"
  assert.equal(formatHashrate(999_950), '1 MH/s');
  assert.equal(formatDifficulty(999.95), '1 k');
  assert.equal(formatOneIn(999.6), '1,000 to 1');
});

test('property: hashrate reads back within its 3 significant digits, with SI prefix and no exponent', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e33, noNaN: true }), (x) => {
      const s = formatHashrate(x);
      assert.ok(clean(s), s);
      assert.ok(close(parseSI(s, 'H/s'), x) || x < 1e-3, `${x} -> ${s}`);
      const mant = Number(/^[\d.]+/.exec(s)![0]);
      assert.ok(mant < 1000 || s.includes('×'), `mantissa below 1000: ${s}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: difficulty reads back within its 3 significant digits', () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-6, max: 1e40, noNaN: true }), (d) => {
      const s = formatDifficulty(d);
      assert.ok(clean(s), s);
      const got = d >= 1 ? parseSI(s, '') : Number(s);
      assert.ok(close(got, d), `${d} -> ${s} -> ${got}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: odds are "N to 1" with N read back within 3 significant digits, and less likely never reads as more likely', () => {
  const prob = fc.double({ min: 1e-35, max: 1, noNaN: true }).filter((p) => p > 0);
  fc.assert(
    fc.property(prob, prob, (p, q) => {
      const s = formatOdds(p);
      assert.ok(clean(s), s);
      assert.match(s, / to 1$/);
      const n = parseLarge(s.slice(0, -5));
      assert.ok(close(n, 1 / p), `${p} -> ${s}`);
      const [lo, hi] = p < q ? [p, q] : [q, p];
      assert.ok(parseLarge(formatOdds(lo).slice(0, -5)) >= parseLarge(formatOdds(hi).slice(0, -5)), `${lo} vs ${hi}`);
    }),
    { numRuns: 2000 },
  );
});

test('property: durations in words, two units at most, read back within the smaller unit shown', () => {
  fc.assert(
    fc.property(fc.double({ min: 1, max: 1e25, noNaN: true }), (sec) => {
      const s = formatDuration(sec);
      assert.ok(clean(s), s);
      const got = parseDuration(s);
      const years = sec / UNIT_S.year;
      if (years >= 100) assert.ok(close(got, sec), `${sec} -> ${s}`);
      else {
        // the error is at most half of the smaller unit shown (a minute for "2 hours 5 minutes")
        const units = [...s.matchAll(/(second|minute|hour|day|year)/g)].map((m) => UNIT_S[m[1]]);
        const top = Math.max(...units);
        const small =
          Object.values(UNIT_S)
            .filter((u) => u < top)
            .sort((a, b) => b - a)[0] ?? 1;
        assert.ok(Math.abs(got - sec) <= small / 2 + 1e-6 * sec, `${sec} -> ${s} (${got})`);
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: power and energy carry their source word; negative surplus keeps its sign', () => {
  const source = fc.constantFrom('measured' as const, 'declared' as const, 'estimated' as const);
  fc.assert(
    fc.property(fc.double({ min: -1e7, max: 1e7, noNaN: true }), source, (w, src) => {
      const s = formatPower(w, src);
      assert.ok(s.endsWith(` (${src})`), s);
      const v = parseSI(s.slice(0, -(src.length + 3)), 'W');
      assert.ok(close(v, w) || Math.abs(w) < 1e-3, `${w} -> ${s}`);
      const e = formatEnergy(Math.abs(w), src);
      assert.ok(close(parseSI(e.slice(0, -(src.length + 3)), 'Wh'), Math.abs(w) * 1000) || Math.abs(w) < 1e-6, `${w} kWh -> ${e}`);
    }),
    { numRuns: 1000 },
  );
});

test('property: any number at all (NaN, infinities, negatives, tiny, huge) gives a short clean text, never a throw', () => {
  const fns: Array<(x: number) => string> = [
    formatHashrate,
    formatDifficulty,
    formatOdds,
    formatOneIn,
    formatDuration,
    (x) => formatPower(x, 'estimated'),
    (x) => formatEnergy(x),
    formatCount,
    (x) => formatSI(x, 'W'),
  ];
  fc.assert(
    fc.property(fc.double(), (x) => {
      for (const f of fns) {
        const s = f(x);
        assert.equal(typeof s, 'string');
        assert.ok(s.length > 0 && s.length <= 64 && !/NaN|undefined|e\+|Infinity/.test(s), `${x} -> "${s}"`);
      }
    }),
    { numRuns: 3000 },
  );
});

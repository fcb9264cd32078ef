// One way to write a figure, everywhere (terminal, status page, /api/status text, HA states, docs):
//   odds         "547 billion to 1"       (one style, odds against: "N to 1" as HA shows its odds sensor, N in words from a million up)
//   difficulty   "114 T", "547", "0.00015" (SI prefixes from a thousand up, no unit)
//   hashrate     "24.2 MH/s"               (SI prefixes)
//   power        "15 W (estimated)", energy "1.5 kWh (measured)" (the source word when known)
//   durations    "3 days 4 hours", "45 seconds", "1.2 million years" (words, two units at most)
//   counts       "1,234,567"
// Three significant digits, never an exponent ("e+14"), never "NaN". Pure: no I/O, no locale.

/** Where a watt figure comes from; every figure a user reads says which. */
export type FigureSource = 'measured' | 'declared' | 'estimated';

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y', 'R', 'Q'];
/** Short-scale words for 10^6 .. 10^33 (as English-language news and HA users read them). */
const WORDS = ['million', 'billion', 'trillion', 'quadrillion', 'quintillion', 'sextillion', 'septillion', 'octillion', 'nonillion', 'decillion'];

/** `x` with `digits` significant digits in plain decimal (no exponent), trailing zeros trimmed. */
export function formatSignificant(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'unknown' : x > 0 ? 'infinite' : '-infinite';
  if (x === 0) return '0';
  const sign = x < 0 ? '-' : '';
  const a = Math.abs(x);
  const e = Math.floor(Math.log10(a));
  const decimals = Math.max(0, Math.min(20, digits - 1 - e));
  let s = a.toFixed(decimals);
  // toFixed rounds; keep only `digits` significant digits for large numbers too
  if (e >= digits) {
    const scale = 10 ** (e - digits + 1);
    s = String(Math.round(a / scale) * scale);
    if (/e/i.test(s)) s = BigInt(Math.round(a / scale)).toString() + '0'.repeat(e - digits + 1);
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '0' ? '0' : `${sign}${s}`;
}

/** A mantissa of 3 significant digits and its power of 1000 (999.95 k becomes 1 M, not 1000 k). */
function thousands(a: number, digits: number): { m: number; k: number } {
  let k = Math.floor(Math.log10(a) / 3);
  let m = Number((a / 1000 ** k).toPrecision(digits));
  if (m >= 1000) {
    k++;
    m = Number((a / 1000 ** k).toPrecision(digits));
  }
  return { m, k };
}

/**
 * `value` with an SI prefix from a thousand up: formatSI(24_200_000, 'H/s') = "24.2 MH/s",
 * formatSI(1.14e14) = "114 T". Below a thousand: 3 significant digits ("950 H/s", "0.5 W").
 */
export function formatSI(value: number, unit = '', digits = 3): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'unknown' : `${value > 0 ? '' : '-'}infinite${unit ? ` ${unit}` : ''}`;
  const a = Math.abs(value);
  const sign = value < 0 ? '-' : '';
  if (a < 1000) {
    const s = formatSignificant(a, digits);
    if (s !== '1000') return `${s === '0' ? '' : sign}${s}${unit ? ` ${unit}` : ''}`;
  }
  const { m, k } = thousands(Math.max(a, 1000), digits);
  if (k >= SI.length) return `${sign}${powerOfTen(a, digits)}${unit ? ` ${unit}` : ''}`;
  return `${sign}${formatSignificant(m, digits)} ${SI[k]}${unit}`.trimEnd();
}

/** A large count in words: 547e9 -> "547 billion"; below a million grouped: "12,300". */
export function formatLarge(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'unknown' : n > 0 ? 'infinitely many' : '-infinitely many';
  const a = Math.abs(n);
  const sign = n < 0 ? '-' : '';
  if (a < 1000 && formatSignificant(a, digits) !== '1000') return `${a === 0 ? '' : sign}${formatSignificant(a, digits)}`;
  if (a < 1e6) {
    const r = Number(a.toPrecision(digits));
    if (r < 1e6) return `${sign}${formatCount(r)}`;
  }
  const { m, k } = thousands(Math.max(a, 1e6), digits);
  const w = WORDS[k - 2];
  if (w) return `${sign}${formatSignificant(m, digits)} ${w}`;
  return `${sign}${powerOfTen(a, digits)}`;
}

/** "1.2 × 10^40": beyond the words and prefixes (no "e+40"). */
function powerOfTen(a: number, digits: number): string {
  const e = Math.floor(Math.log10(a));
  let mant = Number((a / 10 ** e).toPrecision(digits));
  let exp = e;
  if (mant >= 10) {
    mant = Number((mant / 10).toPrecision(digits));
    exp++;
  }
  return `${formatSignificant(mant, digits)} × 10^${exp}`;
}

/** An integer count with thousands separators: 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'unknown' : n > 0 ? 'infinitely many' : '-infinitely many';
  // beyond exact integers a count is an estimate: in words
  if (Math.abs(n) >= 1e15) return formatLarge(n);
  const r = Math.round(n);
  const sign = r < 0 ? '-' : '';
  const digits = String(Math.abs(r)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${r === 0 ? '' : sign}${digits}`;
}

/**
 * The odds of an event of probability `p` (e.g. a block in a day): "547 billion to 1", the style
 * of Home Assistant's odds sensor ("547,000,000,000 to 1"). p <= 0 (not hashing) is "none"; p >= 1 is "1 to 1".
 */
export function formatOdds(p: number): string {
  if (Number.isNaN(p)) return 'unknown';
  if (p <= 0) return 'none';
  return formatOneIn(1 / Math.min(1, p));
}

/** The odds written from "one in how many": formatOneIn(5.47e11) = "547 billion to 1". */
export function formatOneIn(n: number): string {
  if (Number.isNaN(n)) return 'unknown';
  if (n === Number.POSITIVE_INFINITY) return 'none';
  return `${formatLarge(Math.max(1, n))} to 1`;
}

/** Share or network difficulty: "114 T", "547", "1.5", "0.00015". */
export function formatDifficulty(d: number): string {
  if (!Number.isFinite(d) || d < 0) return Number.isNaN(d) || d < 0 ? 'unknown' : 'infinite';
  return d >= 1 ? formatSI(d) : formatSignificant(d, 3);
}

/** Hashrate: "24.2 MH/s", "950 H/s", "0 H/s". */
export function formatHashrate(hs: number): string {
  if (!Number.isFinite(hs) || hs < 0) return 'unknown';
  return formatSI(hs, 'H/s');
}

const withSource = (s: string, source?: FigureSource | null) => (source ? `${s} (${source})` : s);

/** Power: "15 W (estimated)", "1.2 kW (measured)"; a surplus may be negative. */
export function formatPower(watts: number, source?: FigureSource | null): string {
  if (!Number.isFinite(watts)) return 'unknown';
  return withSource(formatSI(watts, 'W'), source);
}

/** Energy from kWh: "240 Wh (estimated)", "1.5 kWh (measured)", "2.3 MWh". */
export function formatEnergy(kwh: number, source?: FigureSource | null): string {
  if (!Number.isFinite(kwh)) return 'unknown';
  return withSource(formatSI(kwh * 1000, 'Wh'), source);
}

const DURATION_UNITS: Array<[name: string, seconds: number]> = [
  ['year', 365.25 * 86_400],
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const unitText = (n: number, name: string) => `${n} ${name}${n === 1 ? '' : 's'}`;

/**
 * A span of time in words, two units at most: "3 days 4 hours", "5 minutes", "45 seconds";
 * a hundred years and more in words: "4,200 years", "1.2 million years". Infinity is "never".
 */
export function formatDuration(seconds: number): string {
  if (Number.isNaN(seconds) || seconds < 0) return 'unknown';
  if (seconds === Number.POSITIVE_INFINITY) return 'never';
  if (seconds < 1) return 'less than a second';
  const years = seconds / DURATION_UNITS[0][1];
  if (years >= 100) {
    const y = years < 1e6 ? formatCount(Number(years.toPrecision(3))) : formatLarge(years);
    return `${y} years`;
  }
  // the largest unit that fits, then the next one rounded (a carry goes up)
  const i = DURATION_UNITS.findIndex(([, s]) => seconds >= s);
  const [name, top] = DURATION_UNITS[i];
  if (i === DURATION_UNITS.length - 1) {
    const n = Math.round(seconds);
    return n >= 60 ? '1 minute' : unitText(n, name);
  }
  const [smallName, small] = DURATION_UNITS[i + 1];
  let n = Math.floor(seconds / top);
  let m = Math.round((seconds - n * top) / small);
  if (m * small >= top) {
    n++;
    m = 0;
  }
  if (i > 0 && n * top >= DURATION_UNITS[i - 1][1]) return unitText(1, DURATION_UNITS[i - 1][0]);
  return m > 0 ? `${unitText(n, name)} ${unitText(m, smallName)}` : unitText(n, name);
}

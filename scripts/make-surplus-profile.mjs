#!/usr/bin/env node
// Builds the two surplus profiles the power-target benchmark replays (bench/profiles/*.csv) from a
// real measured year: the TMY3 file pvlib ships (PyPI), 723170TYA.CSV (Greensboro, NC).
//
//   pip download --no-deps pvlib -d /tmp/pv && cd /tmp/pv && unzip -o pvlib-*.whl 'pvlib/data/723170TYA.CSV'
//   node scripts/make-surplus-profile.mjs --tmy /tmp/pv/pvlib/data/723170TYA.CSV [--out bench/profiles]
//
// The file: row 1 the site, row 2 the header, then 8760 hourly rows with `Date (MM/DD/YYYY)`,
// `Time (HH:MM)` (hour ending, local standard time) and `GHI (W/m^2)`.
//
// What it makes (deterministic; the same file gives the same bytes):
// - PV: a 3 kWp array, horizontal, P = 3000 W * GHI / 1000 W/m^2 * 0.85 (inverter, heat, soiling).
// - Household base load: a constant 300 W (fridge, router, standby, the hub itself). surplus = PV - 300 W.
// - The days: from April to September, the clear day is the one whose GHI comes closest to the
//   clear sky (the most GHI relative to the highest GHI seen within +-10 days at each hour); the
//   cloudy day is the one with the most hour-to-hour change among days at 35-70 % of the clear sky
//   (broken clouds: the hard case for switching).
// - 1-minute rows: each hourly mean is placed at the middle of its hour and interpolated linearly.
//   The cloudy day gets cloud noise on top (said here, seeded: mulberry32(21)): an AR(1) process
//   with a 10-minute memory, scaled by how far that hour is below the clear sky (0.6 * (1 - kt) *
//   clear sky), clipped to 12 % (the diffuse light under a cloud; the hour's own mean when lower)
//   .. 105 % of the clear sky. The clear day gets none.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const KWP = 3000;
const PERFORMANCE = 0.85;
const BASE_LOAD_W = 300;
const SEED = 21;
const DIFFUSE_FLOOR = 0.12;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const tmyPath = arg('--tmy', null);
const outDir = arg('--out', 'bench/profiles');
if (!tmyPath) {
  console.error(
    "usage: node scripts/make-surplus-profile.mjs --tmy PATH/723170TYA.CSV [--out DIR]\n(get it: pip download --no-deps pvlib; unzip the wheel's pvlib/data/723170TYA.CSV)",
  );
  process.exit(2);
}

/** A CSV line split on commas (the TMY3 file quotes only the site name). */
function cells(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const lines = readFileSync(tmyPath, 'utf8')
  .split(/\r?\n/)
  .filter((l) => l.trim() !== '');
const site = cells(lines[0]);
const header = cells(lines[1]);
const col = (name) => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${tmyPath}: no column "${name}" in row 2`);
  return i;
};
const cDate = col('Date (MM/DD/YYYY)');
const cTime = col('Time (HH:MM)');
const cGhi = col('GHI (W/m^2)');

/** days in file order: { date: 'YYYY-MM-DD', month, ghi: [24] } (index h-1 for hour ending h) */
const days = [];
for (const line of lines.slice(2)) {
  const c = cells(line);
  const [mm, dd, yyyy] = c[cDate].split('/');
  const hour = Number(c[cTime].split(':')[0]);
  const ghi = Number(c[cGhi]);
  if (!Number.isFinite(ghi) || hour < 1 || hour > 24) throw new Error(`${tmyPath}: bad row "${line.slice(0, 60)}"`);
  const key = `${yyyy}-${mm}-${dd}`;
  let d = days[days.length - 1];
  if (!d || d.key !== key) {
    d = { key, date: key, month: Number(mm), ghi: new Array(24).fill(0) };
    days.push(d);
  }
  d.ghi[hour - 1] = ghi;
}
if (days.length < 360) throw new Error(`${tmyPath}: ${days.length} days, expected 365`);

// clear-sky proxy: the highest GHI at that hour within +-10 days
const clear = days.map((_, i) =>
  Array.from({ length: 24 }, (_, h) => {
    let m = 0;
    for (let j = Math.max(0, i - 10); j <= Math.min(days.length - 1, i + 10); j++) m = Math.max(m, days[j].ghi[h]);
    return m;
  }),
);
const sum = (a) => a.reduce((s, x) => s + x, 0);
const scored = days.map((d, i) => {
  const kt = sum(d.ghi) / Math.max(1, sum(clear[i]));
  let change = 0;
  for (let h = 1; h < 24; h++) change += Math.abs(d.ghi[h] - d.ghi[h - 1]) - Math.abs(clear[i][h] - clear[i][h - 1]);
  return { i, kt, change, energy: sum(d.ghi) };
});
const summer = scored.filter((s) => days[s.i].month >= 4 && days[s.i].month <= 9);
const clearDay = [...summer].sort((a, b) => b.kt - a.kt || b.energy - a.energy || a.i - b.i)[0];
const cloudyDay = [...summer.filter((s) => s.kt >= 0.35 && s.kt <= 0.7)].sort((a, b) => b.change - a.change || a.i - b.i)[0];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gauss(rand) {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** GHI per minute of day i: hourly means at mid-hour, linear in between. */
function minutes(_i, series) {
  const mid = (h) => h * 60 + 30; // hour ending h+1 is centred at h:30
  const out = new Array(1440);
  for (let m = 0; m < 1440; m++) {
    const h = Math.floor((m - 30) / 60);
    const a = h < 0 ? 0 : series[h];
    const b = h + 1 > 23 ? 0 : series[h + 1];
    const t = (m - (h < 0 ? -30 : mid(h))) / 60;
    out[m] = a + (b - a) * t;
  }
  return out;
}

function profile(day, noisy) {
  const d = days[day.i];
  const ghi = minutes(day.i, d.ghi);
  const sky = minutes(day.i, clear[day.i]);
  if (noisy) {
    const rand = mulberry32(SEED);
    const phi = Math.exp(-1 / 10);
    let z = 0;
    for (let m = 0; m < 1440; m++) {
      z = phi * z + Math.sqrt(1 - phi * phi) * gauss(rand);
      if (sky[m] <= 0) continue;
      const kt = Math.min(1, ghi[m] / sky[m]);
      // below a cloud the diffuse light stays: not under 12 % of the clear sky (nor under the hour's own mean when that is lower)
      const floor = Math.min(ghi[m], DIFFUSE_FLOOR * sky[m]);
      ghi[m] = Math.min(1.05 * sky[m], Math.max(floor, ghi[m] + 0.6 * (1 - kt) * sky[m] * z));
    }
  }
  const rows = ['time,surplus_w'];
  for (let m = 0; m < 1440; m++) {
    const pv = (KWP * ghi[m] * PERFORMANCE) / 1000;
    const hh = String(Math.floor(m / 60)).padStart(2, '0');
    const mi = String(m % 60).padStart(2, '0');
    rows.push(`${d.date}T${hh}:${mi}:00-05:00,${Math.round(pv - BASE_LOAD_W)}`);
  }
  return `${rows.join('\n')}\n`;
}

mkdirSync(outDir, { recursive: true });
const made = [
  ['clear-day.csv', clearDay, false],
  ['cloudy-day.csv', cloudyDay, true],
];
for (const [name, day, noisy] of made) {
  writeFileSync(join(outDir, name), profile(day, noisy));
  console.log(
    JSON.stringify({
      file: join(outDir, name),
      site: `${site[0]} ${site[1]}, ${site[2]}`,
      date: days[day.i].date,
      clearness: Number(day.kt.toFixed(2)),
      ghi_wh_m2: day.energy,
      cloud_noise: noisy ? `AR(1), 10 min memory, seed ${SEED}` : 'none',
      pv: `${KWP / 1000} kWp x ${PERFORMANCE}`,
      base_load_w: BASE_LOAD_W,
    }),
  );
}

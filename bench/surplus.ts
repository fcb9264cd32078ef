// npm run bench:surplus -- --profile FILE.csv [--fleet FILE.json] [--tick S] [--lag S] [--deadband W]
//   [--deadband-fraction F] [--hold S] [--min-times '{"plug":{"minOffS":1800,"onDelayS":60}}']
// (BENCH_TRACE=worker-id or * prints each step change with its reason to stderr)
//
// Replays a day of solar surplus through the real power-target path (the surplus reading as an HA
// state -> surplusTarget -> followTarget -> allocatePower) on a simulated clock: a plan every
// `--tick` s (default 10), seeing the surplus as it was `--lag` s before (default 10: a meter's
// report interval), each worker's minimum on/off/step times honoured by the allocator itself.
// The miners draw what was planned until the next plan. Prints JSON:
//   surplus_kwh       the surplus there was (PV minus the household, positive part)
//   reachable_kwh     what the fleet's steps could have taken from it (the largest sum of one step
//                     per worker at or below the surplus, each second, no holds, no deadband)
//   mined_kwh         what the miners drew
//   from_surplus_kwh  the part of it the surplus covered
//   from_grid_kwh     the part it did not
//   switches_per_device_max  the most on/off changes of one device
//   steps_changed     step changes of all devices together
// and the goals (from_surplus >= 95 % of reachable, from_grid <= 2 % of mined, <= 12 switches a day).
//
// CSV: a header with `time` and `surplus_w`, then rows; time is ISO 8601 (with an offset or Z) or
// seconds; any step; each value holds until the next row (the last for one more step).
// Fleet JSON: a list of workers ({id, kind, source, steps: [{watts, hashrate, label?}], minOnS?,
// minOffS?, minStepS?}) or {workers: [...]}; default: the fleet below.
import { readFileSync } from 'node:fs';
import {
  DEFAULT_POWER_OPTIONS,
  allocatePower,
  fleetMaxW,
  followTarget,
  parsePowerFleet,
  surplusTarget,
  type PowerOptions,
  type PowerState,
  type PowerWorker,
  type TargetTrack,
} from '../src/schedule/index.js';

/** The default fleet: the hub's 4 threads, two small AxeOS miners with frequency steps, one PC worker, one miner on a plug. */
export const DEFAULT_FLEET: PowerWorker[] = [
  // the hub: about 7 W and 1.5 MH/s per thread (estimated: no powercap reading assumed)
  { id: 'hub', name: 'Hub', kind: 'hub', source: 'estimated', steps: [1, 2, 3, 4].map((k) => ({ watts: 7 * k, hashrate: 1.5e6 * k })) },
  // a Bitaxe Gamma (BM1370): frequency options with AxeOS's measured power
  {
    id: 'bitaxe-gamma',
    name: 'Bitaxe Gamma',
    kind: 'axeos',
    source: 'measured',
    steps: [
      [400, 11.5, 0.82e12],
      [490, 13.5, 1.0e12],
      [525, 15, 1.07e12],
      [575, 17, 1.17e12],
      [600, 18.5, 1.22e12],
    ].map(([f, w, h]) => ({ watts: w, hashrate: h, label: `${f} MHz` })),
  },
  // a Bitaxe Supra (BM1368)
  {
    id: 'bitaxe-supra',
    name: 'Bitaxe Supra',
    kind: 'axeos',
    source: 'measured',
    steps: [
      [400, 9.5, 0.5e12],
      [490, 11.5, 0.62e12],
      [525, 12.5, 0.67e12],
      [575, 14.5, 0.73e12],
    ].map(([f, w, h]) => ({ watts: w, hashrate: h, label: `${f} MHz` })),
  },
  // an idle office PC running `micro-mining worker`: its first thread wakes the CPU (25 W), then 10 W a thread
  { id: 'office-pc', name: 'Office PC', kind: 'agent', source: 'declared', steps: [1, 2, 3, 4, 5, 6].map((k) => ({ watts: 15 + 10 * k, hashrate: 3e6 * k })) },
  // an Avalon Nano 3S on a smart plug: on or off (the plug measures its power)
  { id: 'avalon-nano', name: 'Avalon Nano 3S', kind: 'plug', source: 'plug', steps: [{ watts: 140, hashrate: 6e12 }] },
];

class BenchError extends Error {}

/** BENCH_TRACE=worker-id (or *) prints each step change of that worker to stderr. */
const TRACE = process.env.BENCH_TRACE ?? '';

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--'))
      throw new BenchError(
        `unexpected argument "${a}" (flags: --profile FILE.csv --fleet FILE.json --tick S --lag S --deadband W --deadband-fraction F --hold S --min-times JSON)`,
      );
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new BenchError(`${a} needs a value`);
    out[a.slice(2)] = v;
    i++;
  }
  return out;
}

function num(o: Record<string, string>, k: string, dflt: number, min: number, max: number): number {
  if (o[k] === undefined) return dflt;
  const n = Number(o[k]);
  if (!Number.isFinite(n) || n < min || n > max) throw new BenchError(`--${k} must be a number from ${min} to ${max}, not "${o[k]}"`);
  return n;
}

export interface Row {
  t: number; // s
  w: number;
}

/** `time,surplus_w` rows (ISO time or seconds); an error names the line. */
export function parseProfile(text: string, name = 'profile'): Row[] {
  const lines = text.split(/\r?\n/);
  const head = (lines[0] ?? '').split(',').map((s) => s.trim().toLowerCase());
  const ct = head.indexOf('time');
  const cw = head.indexOf('surplus_w');
  if (ct < 0 || cw < 0) throw new BenchError(`${name}: line 1 must be a header with "time" and "surplus_w", not "${(lines[0] ?? '').slice(0, 60)}"`);
  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    if (rows.length >= 1_000_000) throw new BenchError(`${name}: more than 1,000,000 rows`);
    const c = line.split(',');
    const ts = (c[ct] ?? '').trim();
    const t = /^-?\d+(\.\d+)?$/.test(ts) ? Number(ts) : Date.parse(ts) / 1000;
    const w = Number((c[cw] ?? '').trim());
    if (!Number.isFinite(t)) throw new BenchError(`${name} line ${i + 1}: time "${ts.slice(0, 40)}" is neither ISO 8601 nor seconds`);
    if (!Number.isFinite(w) || Math.abs(w) > 10_000_000)
      throw new BenchError(`${name} line ${i + 1}: surplus_w "${(c[cw] ?? '').slice(0, 40)}" is not a number of W (at most 10 MW)`);
    if (rows.length && t <= rows[rows.length - 1].t) throw new BenchError(`${name} line ${i + 1}: time goes backwards or repeats`);
    rows.push({ t, w });
  }
  if (rows.length < 2) throw new BenchError(`${name}: needs at least 2 rows`);
  return rows;
}

/** best[w]: the largest sum of one step (or off) per worker at or below w W (no holds). */
function reachableTable(fleet: PowerWorker[], max: number): Int32Array {
  let can = new Uint8Array(max + 1);
  can[0] = 1;
  for (const w of fleet) {
    const next = can.slice();
    for (const s of w.steps) {
      const c = Math.ceil(s.watts - 1e-9);
      for (let x = max - c; x >= 0; x--) if (can[x]) next[x + c] = 1;
    }
    can = next;
  }
  const best = new Int32Array(max + 1);
  for (let x = 0, b = 0; x <= max; x++) best[x] = b = can[x] ? x : b;
  return best;
}

export interface BenchFigures {
  surplus_kwh: number;
  reachable_kwh: number;
  mined_kwh: number;
  from_surplus_kwh: number;
  from_grid_kwh: number;
  switches_per_device_max: number;
  steps_changed: number;
}

export function replay(rows: Row[], fleet: PowerWorker[], opts: { tickS: number; lagS: number; holdS: number; options: PowerOptions }) {
  const start = rows[0].t;
  const end = rows[rows.length - 1].t + (rows[rows.length - 1].t - rows[rows.length - 2].t);
  const fmax = fleetMaxW(fleet, opts.options);
  const best = reachableTable(fleet, fmax);
  let ri = 0;
  const at = (t: number) => {
    // rows are visited forward in time; the value of the last row at or before t
    while (ri + 1 < rows.length && rows[ri + 1].t <= t) ri++;
    return t < rows[0].t ? rows[0].w : rows[ri].w;
  };
  let li = 0;
  const lagged = (t: number) => {
    while (li + 1 < rows.length && rows[li + 1].t <= t) li++;
    return t < rows[0].t ? rows[0].w : rows[li].w;
  };
  let state: PowerState | null = null;
  let track: TargetTrack | null = null;
  let planned = 0;
  const levels = new Map<string, number>();
  const switches = new Map<string, number>();
  let stepsChanged = 0;
  let sJ = 0;
  let reachJ = 0;
  let minedJ = 0;
  let fromSurplusJ = 0;
  let fromGridJ = 0;
  let plans = 0;
  let overMaxW = 0;
  let nextTick = start;
  for (let t = start; t < end; t++) {
    if (t >= nextTick) {
      nextTick += opts.tickS;
      const seen = lagged(t - opts.lagS);
      const value = surplusTarget({ state: String(seen), attributes: { unit_of_measurement: 'W' } }, { entity: 'profile', fleetMaxW: fmax });
      const f = followTarget(track, value, t * 1000, opts.holdS);
      track = f.track;
      const r = allocatePower(
        { now: t * 1000, targetW: f.value.watts, targetSource: 'surplus', targetNote: f.value.state, workers: fleet },
        opts.options,
        state,
      );
      state = r.state;
      plans++;
      planned = r.plan.planned_w;
      overMaxW = Math.max(overMaxW, r.plan.over_w);
      for (const a of r.plan.workers) {
        const p = levels.get(a.id) ?? 0;
        if (TRACE && (TRACE === '*' || TRACE === a.id) && p !== a.level)
          console.error(
            `${new Date(t * 1000).toISOString().slice(11, 19)} ${a.id} ${p}->${a.level} target ${f.value.watts === null ? 'none' : Math.round(f.value.watts)} W: ${a.reason} | ${r.plan.summary}`,
          );
        if (p !== a.level) stepsChanged++;
        if (p > 0 !== a.level > 0) switches.set(a.id, (switches.get(a.id) ?? 0) + 1);
        levels.set(a.id, a.level);
      }
    }
    const s = Math.max(0, at(t));
    sJ += s;
    reachJ += best[Math.min(fmax, Math.floor(s))];
    minedJ += planned;
    fromSurplusJ += Math.min(planned, s);
    fromGridJ += Math.max(0, planned - s);
  }
  const kwh = (j: number) => Number((j / 3.6e6).toFixed(3));
  const figures: BenchFigures = {
    surplus_kwh: kwh(sJ),
    reachable_kwh: kwh(reachJ),
    mined_kwh: kwh(minedJ),
    from_surplus_kwh: kwh(fromSurplusJ),
    from_grid_kwh: kwh(fromGridJ),
    switches_per_device_max: Math.max(0, ...switches.values()),
    steps_changed: stepsChanged,
  };
  return {
    figures,
    switches: Object.fromEntries(fleet.map((w) => [w.id, switches.get(w.id) ?? 0])),
    plans,
    hours: (end - start) / 3600,
    overMaxW,
    fleetMaxW: fmax,
  };
}

function main(): void {
  const o = args(process.argv.slice(2));
  if (!o.profile) throw new BenchError('--profile FILE.csv is required (e.g. bench/profiles/clear-day.csv)');
  let text: string;
  try {
    text = readFileSync(o.profile, 'utf8');
  } catch (e) {
    throw new BenchError(`--profile ${o.profile}: ${(e as Error).message}`);
  }
  const rows = parseProfile(text, o.profile);
  let fleet = DEFAULT_FLEET;
  if (o.fleet) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(o.fleet, 'utf8'));
    } catch (e) {
      throw new BenchError(`--fleet ${o.fleet}: ${(e as Error).message}`);
    }
    const list = Array.isArray(raw) ? raw : (raw as { workers?: unknown })?.workers;
    const r = parsePowerFleet(list);
    if (!r.ok) throw new BenchError(`--fleet ${o.fleet}: ${r.error}`);
    fleet = r.value;
  }
  let minTimes = DEFAULT_POWER_OPTIONS.minTimes;
  if (o['min-times']) {
    let m: unknown;
    try {
      m = JSON.parse(o['min-times']);
    } catch (e) {
      throw new BenchError(`--min-times must be JSON like {"plug":{"minOffS":1800}}: ${(e as Error).message}`);
    }
    const next = structuredClone(minTimes) as unknown as Record<string, Record<string, number>>;
    for (const [kind, v] of Object.entries(m as Record<string, Record<string, unknown>>)) {
      if (!next[kind]) throw new BenchError(`--min-times: no worker kind "${kind}" (hub, agent, axeos, miner, plug)`);
      for (const [k, s] of Object.entries(v ?? {})) {
        if (!(k in next[kind]) || typeof s !== 'number' || !(s >= 0 && s <= 86_400))
          throw new BenchError(`--min-times: ${kind}.${k} must be minOnS, minOffS, minStepS or onDelayS with 0-86400 s`);
        next[kind][k] = s;
      }
    }
    minTimes = next as unknown as PowerOptions['minTimes'];
  }
  const options: PowerOptions = {
    ...DEFAULT_POWER_OPTIONS,
    minTimes,
    deadbandW: num(o, 'deadband', DEFAULT_POWER_OPTIONS.deadbandW, 0, 100_000),
    deadbandFraction: num(o, 'deadband-fraction', DEFAULT_POWER_OPTIONS.deadbandFraction, 0, 0.9),
  };
  const r = replay(rows, fleet, { tickS: num(o, 'tick', 10, 1, 3600), lagS: num(o, 'lag', 10, 0, 3600), holdS: num(o, 'hold', 60, 0, 3600), options });
  const f = r.figures;
  const pct = (a: number, b: number) => (b > 0 ? Number(((100 * a) / b).toFixed(1)) : null);
  const days = Math.max(1, r.hours / 24);
  const surplusPct = pct(f.from_surplus_kwh, f.reachable_kwh);
  const gridPct = pct(f.from_grid_kwh, f.mined_kwh);
  console.log(
    JSON.stringify(
      {
        ...f,
        profile: o.profile,
        hours: Number(r.hours.toFixed(2)),
        plans: r.plans,
        fleet_max_w: r.fleetMaxW,
        max_over_target_w: r.overMaxW,
        switches: r.switches,
        goals: {
          from_surplus_pct_of_reachable: surplusPct,
          from_grid_pct_of_mined: gridPct,
          switches_per_device_per_day_max: Number((f.switches_per_device_max / days).toFixed(1)),
          met: (surplusPct ?? 100) >= 95 && (gridPct ?? 0) <= 2 && f.switches_per_device_max / days <= 12,
        },
        settings: {
          tick_s: num(o, 'tick', 10, 1, 3600),
          lag_s: num(o, 'lag', 10, 0, 3600),
          deadband_w: options.deadbandW,
          deadband_fraction: options.deadbandFraction,
          min_times: options.minTimes,
        },
      },
      null,
      2,
    ),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  try {
    main();
  } catch (e) {
    if (e instanceof BenchError) {
      console.error(`bench:surplus: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}

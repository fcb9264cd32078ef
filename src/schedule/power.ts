// The power target allocator: a watt target + each worker's own steps (+ what ran before) -> the
// step per worker, the planned watts and a reason per worker in words. Pure: no clock, no I/O.
//
// How it decides:
// - No figure (target null): nothing mines, and every worker says so.
// - Holds: a worker switched on less than its minimum on time ago stays on (at least its lowest
//   step); one switched off less than its minimum off time ago stays off. Held-on workers are
//   kept, most hashes per joule first, while the plan before each is at or below the target: so
//   the plan is never above the target by more than one step (the last held worker's lowest step),
//   and a worker released early says why.
// - The ideal plan: the most hashrate whose watts fit (target - deadband), fewest watts on a tie,
//   found exactly (a knapsack over whole watts: each worker picks one of its own steps). Most
//   hashes per joule first falls out of it, and more target never plans fewer watts.
// - Hysteresis: the current steps are kept while they fit the target and the ideal plan is not
//   better by the deadband's watts or by `betterFraction` of hashrate; so a target moving by a few
//   W switches nothing, and a plan made at (target - deadband) has room for a dip. A new plan
//   keeps every device that is on on (only its step changes) unless the target needs it off.
// - An on worker steps up at most once per `minStepS` (down at once); an off worker switches on
//   only after the plan has wanted it for `onDelayS` (0 by default).
import type {
  PowerAllocation,
  PowerInput,
  PowerOptions,
  PowerPlan,
  PowerResult,
  PowerState,
  PowerWorker,
  PowerWorkerState,
  WattSource,
} from './power-types.js';
import { DEFAULT_MAX_CELLS, badSteps, bestWithin, quantumFor } from './power-knapsack.js';

export { MAX_STEPS, badSteps, fleetMaxW, largestStepW, quantumFor } from './power-knapsack.js';

export const DEFAULT_POWER_OPTIONS: PowerOptions = {
  deadbandW: 10,
  deadbandFraction: 0.02,
  betterFraction: 0.05,
  minTimes: {
    // tuned on the replayed days (npm run bench:surplus): a long minimum off time is what keeps a
    // cloudy day's switching down; a plug's relay and its miner's PSU also get a long minimum on time
    hub: { minOnS: 300, minOffS: 2400, minStepS: 10, onDelayS: 0 },
    agent: { minOnS: 300, minOffS: 2400, minStepS: 10, onDelayS: 0 },
    axeos: { minOnS: 300, minOffS: 2400, minStepS: 60, onDelayS: 0 },
    miner: { minOnS: 300, minOffS: 2400, minStepS: 60, onDelayS: 0 },
    plug: { minOnS: 900, minOffS: 1200, minStepS: 60, onDelayS: 0 },
  },
  maxCells: DEFAULT_MAX_CELLS,
};

interface Prepared {
  w: PowerWorker;
  name: string;
  n: number;
  /** per level 0..n: planning cells (whole watts / quantum) */
  cost: number[];
  hash: number[];
  how: WattSource[];
  lo: number;
  hi: number;
  cur: number;
  st: PowerWorkerState | undefined;
  held: 'min_on' | 'min_off' | null;
  /** s left of the hold */
  holdLeftS: number;
  /** why it cannot mine (unavailable, bad steps, a hold released, its on-delay) */
  off: string | null;
  onDelayMs: number;
  /** since when the plan has wanted it on (while it waits its on-delay), ms; 0: not wanted */
  wantSince: number;
  delayLeftS: number;
}

const byId = (a: { w: PowerWorker }, b: { w: PowerWorker }) => (a.w.id < b.w.id ? -1 : a.w.id > b.w.id ? 1 : 0);

function fmtH(h: number): string {
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
  let i = 0;
  while (h >= 1000 && i < units.length - 1) {
    h /= 1000;
    i++;
  }
  return `${h >= 100 || i === 0 ? Math.round(h) : Number(h.toFixed(1))} ${units[i]}`;
}

const W = (w: number) => `${Math.round(w)} W`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A step in words: `3 of 4 threads`, `525 MHz (step 3 of 6)`, `on`, `off`. */
export function stepWords(w: PowerWorker, level: number): string {
  if (level <= 0) return 'off';
  const n = w.steps.length;
  const label = w.steps[level - 1]?.label;
  switch (w.kind) {
    case 'hub':
    case 'agent':
      return `${level} of ${plural(n, 'thread')}`;
    case 'plug':
      return n === 1 ? 'on' : label ? `${label} (step ${level} of ${n})` : `step ${level} of ${n}`;
    default:
      return label ? `${label} (step ${level} of ${n})` : `step ${level} of ${n}`;
  }
}

/**
 * One allocation step. Deterministic: the same input, options and state give the same plan
 * (workers are ordered by id). Returns the plan and the state to pass to the next call.
 */
export function allocatePower(input: PowerInput, options: PowerOptions = DEFAULT_POWER_OPTIONS, previous: PowerState | null = null): PowerResult {
  const now = input.now;
  const source = input.targetSource ?? 'power target';
  const rawTarget = input.targetW;
  const target = rawTarget === null || !Number.isFinite(rawTarget) ? null : Math.max(0, rawTarget);
  const seen = new Set<string>();
  const workers = [...input.workers].filter((w) => (seen.has(w.id) ? false : (seen.add(w.id), true)));
  const q = quantumFor(
    workers.filter((w) => !badSteps(w)),
    options.maxCells,
  );

  // Prepare each worker: its levels in cells, its current level and its holds.
  const ps: Prepared[] = workers.map((w) => {
    const bad = badSteps(w);
    const n = bad ? 0 : w.steps.length;
    const cost = [0];
    const hash = [0];
    const how: WattSource[] = [w.source];
    for (let k = 1; k <= n; k++) {
      const s = w.steps[k - 1];
      cost.push(Math.max(cost[k - 1], Math.ceil(s.watts / q - 1e-9)));
      hash.push(s.hashrate);
      how.push(s.source ?? w.source);
    }
    const st = previous?.workers[w.id];
    const cur = Math.min(Math.max(0, Math.floor(st?.level ?? 0)), n);
    const kind = options.minTimes[w.kind] ?? { minOnS: 0, minOffS: 0, minStepS: 0, onDelayS: 0 };
    const onDelayMs = (w.onDelayS ?? kind.onDelayS ?? 0) * 1000;
    const p: Prepared = {
      w,
      name: w.name ?? w.id,
      n,
      cost,
      hash,
      how,
      lo: 0,
      hi: n,
      cur,
      st,
      held: null,
      holdLeftS: 0,
      off: null,
      onDelayMs,
      wantSince: 0,
      delayLeftS: 0,
    };
    const minOn = (w.minOnS ?? kind.minOnS) * 1000;
    const minOff = (w.minOffS ?? kind.minOffS) * 1000;
    const minStep = (w.minStepS ?? kind.minStepS) * 1000;
    if (bad) {
      p.hi = 0;
      p.off = `off: its steps cannot be planned with (${bad})`;
    } else if (w.available === false) {
      p.hi = 0;
      p.off = `off: ${w.unavailable || 'not available'}`;
    } else if (st && cur === 0 && st.since > 0 && now - st.since < minOff) {
      p.hi = 0;
      p.held = 'min_off';
      p.holdLeftS = Math.ceil((minOff - (now - st.since)) / 1000);
      p.off = `off ${Math.floor((now - st.since) / 1000)} s ago: waits ${p.holdLeftS} s more (minimum off time)`;
    } else if (st && cur > 0 && st.since > 0 && now - st.since < minOn) {
      p.lo = 1;
      p.held = 'min_on';
      p.holdLeftS = Math.ceil((minOn - (now - st.since)) / 1000);
    }
    // an on worker that changed step a moment ago does not step up again yet (a flapping target
    // moves a miner's frequency at most once per minStepS); down stays allowed
    if (!p.off && st && cur > 0 && st.changedAt > 0 && now - st.changedAt < minStep) p.hi = Math.min(p.hi, cur);
    return p;
  });
  ps.sort(byId);

  const deadband = target === null ? 0 : options.deadbandW + options.deadbandFraction * target;
  let levels: number[] = ps.map(() => 0);
  let decision: PowerPlan['decision'] = 'kept';
  if (target === null) {
    levels = ps.map(() => 0);
    decision = 'no_target';
  } else {
    // Held-on workers, most hashes per joule first, while the plan before each is at or below the target.
    const eff = (p: Prepared) => (p.cost[1] > 0 ? p.hash[1] / p.cost[1] : Number.POSITIVE_INFINITY);
    const heldOn = ps.filter((p) => p.held === 'min_on').sort((a, b) => eff(b) - eff(a) || byId(a, b));
    let floorW = 0;
    for (const p of heldOn) {
      if (floorW <= target) floorW += p.cost[1] * q;
      else {
        const over = floorW + p.cost[1] * q - target;
        p.lo = 0;
        p.held = null;
        p.off = `off inside its minimum on time (${p.holdLeftS} s left): holding it too would put the plan ${W(over)} above the ${W(target)} target, more than one step`;
      }
    }
    // a worker that would switch on waits its on-delay (the target must want it on that long,
    // without a break): a short peak of surplus switches nothing; planned again without it
    for (let round = 0; round <= ps.length; round++) {
      const maxCells = ps.reduce((s, p) => s + p.cost[p.hi], 0);
      const tCells = Math.floor(target / q + 1e-9);
      const dCells = Math.floor((target - deadband) / q + 1e-9);
      const cells = (ls: number[]) => ls.reduce((s, k, i) => s + ps[i].cost[k], 0);
      const hashes = (ls: number[]) => ls.reduce((s, k, i) => s + ps[i].hash[k], 0);
      const general = ps.map((p) => p.lo);
      // a worker that is on stays on through a change of plan unless the target needs it off:
      // reshuffling the steps never switches a device off and on for a sliver of hashrate
      const keepOn = ps.map((p) => (p.cur > 0 && p.hi > 0 ? Math.max(p.lo, 1) : p.lo));
      const plan = (los: number[], budgetCells: number): number[] | null => {
        const floor = los.reduce((s, k, i) => s + ps[i].cost[k], 0);
        if (floor > budgetCells) return null;
        return bestWithin(ps, los, Math.min(maxCells, budgetCells));
      };
      const generalFloor = cells(general);
      const cur = ps.map((p) => p.cur);
      const curFits = ps.every((p) => p.cur >= p.lo && p.cur <= p.hi) && cells(cur) <= tCells;
      if (curFits) {
        const ideal = plan(keepOn, Math.max(dCells, cells(keepOn))) ?? cur;
        const fCur = hashes(cur);
        const fIdeal = hashes(ideal);
        const gainW = (cells(ideal) - cells(cur)) * q;
        const better = (fIdeal > fCur && gainW >= deadband) || fIdeal > fCur * (1 + options.betterFraction);
        levels = better ? ideal : cur;
        decision = better ? 'replanned' : 'kept';
      } else {
        // the current steps do not fit: down with the devices kept on (room for a dip, else just
        // fitting), else the best plan below the target - deadband (switching some off)
        levels = plan(keepOn, dCells) ?? plan(keepOn, tCells) ?? plan(general, Math.max(dCells, generalFloor)) ?? general;
        decision = 'replanned';
      }
      let blocked = false;
      ps.forEach((p, i) => {
        if (p.cur > 0 || levels[i] === 0 || !previous) return;
        const since = p.st?.wantSince || now;
        p.wantSince = since;
        if (now - since < p.onDelayMs) {
          p.hi = 0;
          p.delayLeftS = Math.ceil((p.onDelayMs - (now - since)) / 1000);
          p.off = `off: waits ${p.delayLeftS} s more before it switches on (on-delay ${Math.round(p.onDelayMs / 1000)} s: the target must want it that long)`;
          blocked = true;
        }
      });
      if (!blocked) break;
    }
  }

  // Reasons, most hashes per joule first (the order the watts are handed out in words).
  const allocs: PowerAllocation[] = ps.map((p, i) => ({
    id: p.w.id,
    name: p.name,
    kind: p.w.kind,
    level: levels[i],
    steps: p.n,
    planned_w: p.cost[levels[i]] * q,
    hashrate: p.hash[levels[i]],
    how: p.how[levels[i]],
    held: p.held === 'min_on' && levels[i] > 0 ? 'min_on' : p.held === 'min_off' ? 'min_off' : null,
    reason: '',
  }));
  const plannedW = allocs.reduce((s, a) => s + a.planned_w, 0);
  const order = allocs
    .map((_a, i) => i)
    .filter((i) => allocs[i].level > 0)
    .sort((x, y) => {
      const ex = allocs[x].planned_w > 0 ? allocs[x].hashrate / allocs[x].planned_w : Number.POSITIVE_INFINITY;
      const ey = allocs[y].planned_w > 0 ? allocs[y].hashrate / allocs[y].planned_w : Number.POSITIVE_INFINITY;
      return ey - ex || x - y;
    });
  let used = 0;
  for (const i of order) {
    const a = allocs[i];
    const p = ps[i];
    const left = (target ?? 0) - used;
    used += a.planned_w;
    const words = `${stepWords(p.w, a.level)}: ${W(a.planned_w)} ${a.how}`;
    if (a.planned_w > left + 1e-9) {
      a.reason = `${words}, ${W(a.planned_w - Math.max(0, left))} above the ${W(target ?? 0)} target: one step over, kept for its minimum on time (${p.holdLeftS} s left)`;
    } else {
      a.reason = `${words} of the ${W(left)} left`;
      if (a.held === 'min_on') a.reason += `; on at least ${p.holdLeftS} s more (minimum on time)`;
      if (a.level < p.n && decision === 'kept') a.reason += `; kept (within the ${W(deadband)} deadband)`;
    }
  }
  const leftAll = (target ?? 0) - plannedW;
  ps.forEach((p, i) => {
    const a = allocs[i];
    if (a.level > 0) return;
    if (target === null) {
      a.reason = `off: no power target figure${input.targetNote ? ` (${input.targetNote})` : ''}: no mining on a missing figure`;
      return;
    }
    if (p.off) a.reason = p.off;
    else if (p.cost[1] * q > leftAll) a.reason = `off: its first step (${W(p.cost[1] * q)} ${p.how[1]}) does not fit the ${W(Math.max(0, leftAll))} left`;
    else if (decision === 'kept') a.reason = `off: kept (the ${W(leftAll)} left are within the ${W(deadband)} deadband)`;
    else a.reason = `off: the ${W(leftAll)} left are the deadband (${W(deadband)}) or go further as steps with more hashes per joule`;
  });

  // New state.
  const state: PowerState = { at: now, workers: {} };
  ps.forEach((p, i) => {
    const level = levels[i];
    const wasOn = p.cur > 0;
    const on = level > 0;
    state.workers[p.w.id] = {
      level,
      since: wasOn !== on ? now : (p.st?.since ?? 0),
      changedAt: level !== p.cur ? now : (p.st?.changedAt ?? 0),
      ...(p.wantSince && level === 0 ? { wantSince: p.wantSince } : {}),
    };
  });

  const hashrate = allocs.reduce((s, a) => s + a.hashrate, 0);
  const overW = target === null ? 0 : Math.max(0, plannedW - target);
  const mining = allocs.filter((a) => a.level > 0).length;
  let summary: string;
  if (target === null) summary = `not mining: no power target figure${input.targetNote ? ` (${input.targetNote})` : ''}`;
  else {
    summary = `planned ${W(plannedW)} of the ${W(target)} target (${source}): ${mining} of ${plural(allocs.length, 'worker')} mining, ${fmtH(hashrate)}`;
    if (overW > 0) {
      const who = allocs.find((a) => a.held === 'min_on' && a.reason.includes('above the'));
      summary += `; ${W(overW)} above the target: ${who ? `${who.name}'s step` : 'one step'} kept for its minimum on time`;
    } else if (decision === 'kept') summary += ` (kept: within the ${W(deadband)} deadband)`;
  }
  const plan: PowerPlan = {
    at: now,
    target_w: target,
    source,
    planned_w: plannedW,
    hashrate,
    over_w: overW,
    deadband_w: Math.round(deadband * 10) / 10,
    decision,
    workers: allocs,
    summary,
  };
  return { plan, state };
}

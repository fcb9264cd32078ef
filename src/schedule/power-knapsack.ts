// The exact best plan within a watt budget: each worker picks one of its own levels, the most
// hashrate, then the fewest watts (a multiple-choice knapsack over whole watts). Pure.
//
// Why exact and not greedy: a greedy "best hashes per joule first, skip what does not fit" can plan
// fewer watts for a larger target (a big efficient step taken displaces two smaller ones that
// filled the budget). The exact optimum with "fewest watts on a tie" cannot: a plan feasible for the
// larger target with fewer watts would also be feasible for the smaller, so the two tie in hashrate
// and the tie-break picks the smaller plan for both.
import type { PowerWorker } from './power-types.js';

/** The largest number of steps one worker may list. */
export const MAX_STEPS = 64;

/** The largest planning table by default (W cells); bigger fleets plan in coarser watts. */
export const DEFAULT_MAX_CELLS = 50_000;

/** One worker as the table sees it: per level 0..n, its cells and hashrate; its allowed top; its level now. */
export interface KnapsackItem {
  cost: number[];
  hash: number[];
  hi: number;
  cur: number;
}

/** Why a worker's steps cannot be planned with, or null when they are fine. */
export function badSteps(w: PowerWorker): string | null {
  if (!Array.isArray(w.steps) || w.steps.length === 0) return 'no steps listed';
  if (w.steps.length > MAX_STEPS) return `${w.steps.length} steps, at most ${MAX_STEPS}`;
  let prev = 0;
  for (let i = 0; i < w.steps.length; i++) {
    const s = w.steps[i];
    if (!s || !Number.isFinite(s.watts) || s.watts < 0) return `step ${i + 1}: watts must be a finite number >= 0`;
    if (!Number.isFinite(s.hashrate) || s.hashrate < 0) return `step ${i + 1}: hashrate must be a finite number >= 0`;
    if (s.watts < prev) return `step ${i + 1}: watts must not fall below the step before (${prev} W)`;
    prev = s.watts;
  }
  return null;
}

/** The planning quantum, W: 1, or coarser when the fleet's watts would make the table too large. */
export function quantumFor(workers: PowerWorker[], maxCells: number): number {
  let total = 0;
  for (const w of workers) {
    const last = w.steps?.[w.steps.length - 1];
    if (last && Number.isFinite(last.watts) && last.watts > 0) total += Math.ceil(last.watts);
  }
  return Math.max(1, Math.ceil(total / Math.max(1, maxCells)));
}

/**
 * The exact best plan within `budget` cells: each worker one level within [los[i], hi], the most
 * hashrate, then the fewest cells. Returns the level per worker (in `ps` order).
 */
export function bestWithin(ps: KnapsackItem[], los: number[], budget: number): number[] {
  let dp = new Float64Array(budget + 1).fill(Number.NEGATIVE_INFINITY);
  dp[0] = 0;
  const choices: Int16Array[] = [];
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    const lo = los[i];
    const nd = new Float64Array(budget + 1).fill(Number.NEGATIVE_INFINITY);
    const ch = new Int16Array(budget + 1).fill(-1);
    // on a tie the current level is found first and stays (no needless change)
    const ks: number[] = [];
    if (p.cur >= lo && p.cur <= p.hi) ks.push(p.cur);
    for (let k = lo; k <= p.hi; k++) if (k !== p.cur) ks.push(k);
    for (let c = 0; c <= budget; c++) {
      const base = dp[c];
      if (base === Number.NEGATIVE_INFINITY) continue;
      for (const k of ks) {
        const nc = c + p.cost[k];
        if (nc > budget) continue;
        const v = base + p.hash[k];
        if (v > nd[nc]) {
          nd[nc] = v;
          ch[nc] = k;
        }
      }
    }
    dp = nd;
    choices.push(ch);
  }
  let best = -1;
  for (let c = 0; c <= budget; c++) if (dp[c] !== Number.NEGATIVE_INFINITY && (best < 0 || dp[c] > dp[best])) best = c;
  const levels = new Array<number>(ps.length).fill(0);
  if (best < 0) return [...los]; // cannot happen while budget >= the floors' cells
  let c = best;
  for (let i = ps.length - 1; i >= 0; i--) {
    const k = choices[i][c];
    levels[i] = k;
    c -= ps[i].cost[k];
  }
  return levels;
}

/** The largest single step of a fleet, W (whole watts as planned): the most the plan may be above its target. */
export function largestStepW(workers: PowerWorker[], options: { maxCells: number } = { maxCells: DEFAULT_MAX_CELLS }): number {
  const q = quantumFor(
    workers.filter((w) => !badSteps(w)),
    options.maxCells,
  );
  let m = 0;
  for (const w of workers) {
    if (badSteps(w)) continue;
    let prev = 0;
    for (const s of w.steps) {
      const c = Math.max(prev, Math.ceil(s.watts / q - 1e-9));
      m = Math.max(m, (c - prev) * q);
      prev = c;
    }
  }
  return m;
}

/** The fleet's most watts (every worker at its top step), W as planned. */
export function fleetMaxW(workers: PowerWorker[], options: { maxCells: number } = { maxCells: DEFAULT_MAX_CELLS }): number {
  const ok = workers.filter((w) => !badSteps(w));
  const q = quantumFor(ok, options.maxCells);
  return ok.reduce((s, w) => s + Math.ceil(w.steps[w.steps.length - 1].watts / q - 1e-9) * q, 0);
}

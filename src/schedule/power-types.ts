// The power target allocator's input, options, state and plan (pure data; see power.ts).

/** Where a watt figure comes from; every figure a user reads says which. */
export type WattSource = 'measured' | 'plug' | 'declared' | 'estimated';

/** What kind of steps a worker has (for the words in its reason). */
export type PowerWorkerKind = 'hub' | 'agent' | 'axeos' | 'plug' | 'miner';

/**
 * One step of a worker: the whole worker's draw and hashrate when it runs at this step
 * (cumulative, not the increment). Steps are ordered by watts, lowest first; "off" (0 W, 0 H/s)
 * is implied below the first step and never listed.
 */
export interface PowerStep {
  /** W at this step (the whole worker's mining draw) */
  watts: number;
  /** H/s at this step */
  hashrate: number;
  /** where this step's watts come from; default: the worker's `source` */
  source?: WattSource;
  /** a name for the step in words, e.g. `525 MHz` (default: `step k of n` / `k of n threads`) */
  label?: string;
}

/** A worker the target can be met with. */
export interface PowerWorker {
  id: string;
  name?: string;
  kind: PowerWorkerKind;
  /** ordered steps, lowest first (hub threads: 1..n threads; an AxeOS miner: its frequency options; a plug: one step) */
  steps: PowerStep[];
  /** where the steps' watts come from */
  source: WattSource;
  /** false: it cannot mine now (not connected, its Mining switch off, busy); `unavailable` says why */
  available?: boolean;
  unavailable?: string;
  /** minimum time on once switched on, s (default: the options' per-kind default) */
  minOnS?: number;
  /** minimum time off once switched off, s (default: the options' per-kind default) */
  minOffS?: number;
  /** an on worker moves up a step at most once in this time, s (default: the options' per-kind default) */
  minStepS?: number;
  /** it switches on only after the plan wanted it on this long, s (default: the options' per-kind default) */
  onDelayS?: number;
}

/** What the allocator remembers per worker between plans (kept by the caller). */
export interface PowerWorkerState {
  /** 0 = off, k = steps[k-1] */
  level: number;
  /** when the worker last switched on or off, ms (0 = never) */
  since: number;
  /** when its level last changed, ms (0 = never) */
  changedAt: number;
  /** while it waits its on-delay: since when the plan has wanted it on, ms */
  wantSince?: number;
}

export interface PowerState {
  at: number;
  workers: Record<string, PowerWorkerState>;
}

/** Everything one allocation reads. `now` is passed in: the allocator never reads a clock. */
export interface PowerInput {
  /** ms since epoch */
  now: number;
  /** the power target, W; null = no figure (then nothing mines) */
  targetW: number | null;
  /** where the target comes from, in words (`sensor.p_deferrable0`, `surplus`, `set in Home Assistant`) */
  targetSource?: string;
  /** why there is no figure, when targetW is null (e.g. `sensor.p_deferrable0 is unavailable`) */
  targetNote?: string | null;
  workers: PowerWorker[];
}

export interface MinTimes {
  minOnS: number;
  minOffS: number;
  /** a worker that is on moves up a step at most once in this time, s (down at once: the target comes first) */
  minStepS: number;
  /** a worker switches on only once the plan has wanted it on this long without a break, s (short peaks switch nothing) */
  onDelayS: number;
}

export interface PowerOptions {
  /** hysteresis: a target that moves by less than this (W) does not switch anything */
  deadbandW: number;
  /** hysteresis that grows with the target: deadband = deadbandW + deadbandFraction * target */
  deadbandFraction: number;
  /** a plan with this much more hashrate (fraction) at about the same watts replaces the current one */
  betterFraction: number;
  /** minimum on/off times per kind, s (a worker's own minOnS/minOffS wins) */
  minTimes: Record<PowerWorkerKind, MinTimes>;
  /** largest planning table (W cells); bigger fleets plan in coarser watts */
  maxCells: number;
}

/** One worker's share of the plan. */
export interface PowerAllocation {
  id: string;
  name: string;
  kind: PowerWorkerKind;
  /** 0 = off, k = steps[k-1] */
  level: number;
  /** number of steps the worker has */
  steps: number;
  /** W of the chosen step (whole watts, rounded up) */
  planned_w: number;
  hashrate: number;
  /** where planned_w comes from */
  how: WattSource;
  /** a hold that decided it: its minimum on or off time */
  held: 'min_on' | 'min_off' | null;
  /** which step and why, in words */
  reason: string;
}

export interface PowerPlan {
  at: number;
  /** the target, W (null: no figure) */
  target_w: number | null;
  source: string;
  /** sum of the workers' planned watts */
  planned_w: number;
  /** H/s */
  hashrate: number;
  /** planned_w above the target (0 when at or below) */
  over_w: number;
  /** the deadband used, W */
  deadband_w: number;
  /** `kept` (within the deadband), `replanned`, `no_target` */
  decision: 'kept' | 'replanned' | 'no_target';
  workers: PowerAllocation[];
  /** one line, e.g. `planned 480 W of the 500 W target (surplus): 3 workers` */
  summary: string;
}

export interface PowerResult {
  plan: PowerPlan;
  state: PowerState;
}

/**
 * What the power target allows, as the plan takes it (ManualInput.power): a cap on the hub's
 * threads and the workers it keeps off, each with the allocator's words. The plan applies it
 * after its own decisions (capByPower, power-plan.ts): it never starts what the plan paused.
 */
export interface PowerCap {
  /** the target in words: `300 W (set in Home Assistant)`, `no figure: sensor.p_deferrable0 is unavailable` */
  target: string;
  /** hub threads the target allows (0: none) */
  hubThreads: number;
  /** the hub's step and why */
  hubReason: string;
  /** worker id -> why the target keeps it off */
  off: Record<string, string>;
  /** worker id -> its step and why (for the reason of a worker it lets work) */
  steps?: Record<string, string>;
}

// What the history takes (one snapshot-like record per hub tick) and what its query returns.

export type PowerHow = 'measured' | 'estimated' | 'declared';
export type Decision = 'work' | 'pause';

/** One tick of the hub, as the history keeps it. Numbers that are not finite count as unknown. */
export interface HistoryTick {
  /** Wall-clock time of the tick, ms. */
  t: number;
  /** Hashrate of the whole home (hub and every worker), H/s. */
  hashrate: number;
  /** Hashrate of the hub's own threads, H/s. */
  hubHashrate: number;
  workers: Array<{ name: string; hashrate: number; decision?: Decision | null; reason?: string | null }>;
  /** Power of the mining now, W, and where the figure comes from. */
  powerW: number;
  powerHow: PowerHow | null;
  /** The power target of the plan, W (null: none). */
  targetW: number | null;
  /** The surplus the policy sees, W (null: none). */
  surplusW: number | null;
  /** Accepted shares so far (a counter: the history stores the shares of each step). */
  sharesAccepted: number;
  /** Best share difficulty so far. */
  bestDifficulty: number;
}

export type HistorySpan = '1h' | '24h' | '30d';
export type Point<T = number | null> = [t_ms: number, v: T];

export interface HistoryQuery {
  span: HistorySpan;
  step_s: number;
  from_ms: number;
  to_ms: number;
  series: {
    hashrate: Point[];
    hub_hashrate: Point[];
    power_w: Point[];
    power_source: Array<Point<PowerHow | null>>;
    target_w: Point[];
    surplus_w: Point[];
    /** Accepted shares in each step. */
    shares: Point[];
    best_difficulty: Point[];
    /** Per worker (at most WORKERS_PER_RECORD a step, NAMES_CAP names in all): hashrate, H/s. */
    workers: Record<string, Point[]>;
  };
  /** Working/paused intervals per worker with the plan's reason (the last PLAN_EVENTS changes). */
  plan: Array<{ worker: string; from: number; to: number; decision: Decision; reason: string }>;
}

// The scheduler's input, policy, state and plan types (pure data; see index.ts).
import type { PowerCap } from './power-types.js';

export type PolicyMode = 'always' | 'idle_only' | 'surplus';

/** An appliance as the scheduler sees it (the app maps src/ha's Appliance onto this). */
export interface ApplianceInput {
  id: string;
  name: string;
  status: 'idle' | 'busy' | 'unknown';
  roles: ('worker' | 'load')[];
  /** The worker this appliance computes with: `hub`, or a local Stratum worker's name. */
  workerId?: string;
  /** Measured power, W, when known. */
  watts?: number | null;
  /** The HA area's name, when the device has one. */
  area?: string | null;
  /** What decided the status, e.g. `media_player.tv=off`. */
  reason?: string;
  /** Why the device counts as an appliance, e.g. `sensor.washer_power measures power`. */
  why?: string;
}

/** The hub's own hash pool. */
export interface HubInput {
  /** Logical cores of the hub. */
  cores: number;
  /** The pool's upper bound for threads. */
  maxThreads: number;
  /** Measured (or estimated) H/s of one thread. */
  hashratePerThread: number;
  /** Estimated extra power of one busy thread, W. */
  wattsPerThread: number;
  /** CPU use of everything but the miner, %, when known. */
  otherLoadPercent?: number | null;
  /** Cores kept free for Home Assistant set on the hub (--headroom); wins over the policy's headroomCores. */
  headroomCores?: number | null;
}

/** A household miner on the local Stratum endpoint. */
export interface MinerInput {
  /** The Stratum worker name. */
  id: string;
  name?: string;
  connected: boolean;
  /** Measured H/s while working (0 when not yet known). */
  hashrate: number;
  /** Estimated power while working, W. */
  watts: number;
}

/** Power budget and price readings (null = not configured or not readable). */
export interface BudgetInput {
  /** Surplus power (W, positive = export / solar surplus). */
  surplusW?: number | null;
  /** A static budget, W, from the hub's configuration. */
  staticW?: number | null;
  /** Electricity price (the sensor's unit). */
  price?: number | null;
}

/** Manual control from the miner-control node or HA entities. */
export interface ManualInput {
  /** Mining switched off by hand. */
  paused?: boolean;
  /** A hand-set cap for hub threads. */
  maxThreads?: number | null;
  /** The policy mode chosen in Home Assistant (select entity) or the add-on options; it overrides the flow's configured mode. */
  mode?: PolicyMode | null;
  /** Workers whose Mining switch is off in Home Assistant (their ids): paused whatever else says. */
  workersOff?: string[];
  /** The power target's allocation (src/app/hub/parts/power.ts): caps hub threads, keeps workers off, with its reasons. */
  power?: PowerCap | null;
}

/** Everything one planning step reads. `now` is passed in: the scheduler never reads a clock. */
export interface ScheduleInput {
  /** ms since epoch */
  now: number;
  /** Local time offset from UTC, minutes (for quiet hours). */
  utcOffsetMinutes?: number;
  appliances: ApplianceInput[];
  hub: HubInput | null;
  miners: MinerInput[];
  budget?: BudgetInput;
  manual?: ManualInput;
}

export interface QuietHours {
  /** HH:MM local time */
  start: string;
  /** HH:MM local time; before start means the span crosses midnight */
  end: string;
}

/** When and how much to mine. */
export interface Policy {
  mode: PolicyMode;
  /** Cap on hub threads (null = the pool's maximum). */
  maxHubThreads: number | null;
  /** Cores left free for Home Assistant. */
  headroomCores: number;
  /** The hub yields when everything else uses more CPU than this, %. */
  maxHubLoadPercent: number;
  /** `surplus`: a static budget, W, used when no surplus sensor reads (null: the hub's static budget). */
  staticBudgetW: number | null;
  /** `surplus`: power stages, W (e.g. 500, 1000, 1500): the budget is the highest stage at or below the surplus. Empty: the surplus as is. */
  stagesW: number[];
  quietHours: QuietHours[];
  /** No mining while the price is above this (null: no ceiling). */
  priceCeiling: number | null;
  /** Load appliances (id or name; `*` = any) whose being busy pauses all mining. */
  yieldTo: string[];
  /** A worker started keeps its place this long before fairness may swap it out, s. */
  minRunSeconds: number;
  /** A worker stopped waits this long before it starts again, s. */
  minPauseSeconds: number;
}

/** What the scheduler remembers between plans (kept by the caller, e.g. in node context). */
export interface WorkerState {
  on: boolean;
  /** When `on` last changed, ms. */
  since: number;
  /** Time spent working, ms (for fairness). */
  workedMs: number;
  threads: number;
  /**
   * Why it is paused when the pause was not the plan's own choice: `hand` (the Mining switch, the
   * worker's own switch, a bridge command) or `absent` (not connected). Such a pause is no flapping
   * to damp: the minimum pause does not hold the worker when it may work again.
   */
  pausedBy?: 'hand' | 'absent';
}

export interface ScheduleState {
  at: number;
  workers: Record<string, WorkerState>;
}

export interface WorkerDecision {
  /** `hub` or the miner's id */
  id: string;
  kind: 'hub' | 'miner';
  action: 'work' | 'pause';
  /** hub threads (0 or 1 for miners) */
  threads: number;
  reason: string;
  hashrate: number;
  watts: number;
}

export interface Plan {
  at: number;
  mode: PolicyMode;
  hubThreads: number;
  workers: WorkerDecision[];
  /** H/s */
  expectedHashrate: number;
  /** W */
  expectedWatts: number;
  /** the power budget used (surplus mode), W */
  budgetW: number | null;
  idleAppliances: number;
  /** why nothing mines at all (quiet hours, price, manual, ...) or null */
  gate: string | null;
  /** one line, e.g. `mining: 3 threads, 2 appliances idle, 640 W surplus` */
  summary: string;
  /** what limits the hub's threads below its cores, e.g. `1 of 2 threads: 1 core kept for Home Assistant (headroom 1)` */
  hubLimit?: string | null;
}

export interface ScheduleResult {
  plan: Plan;
  state: ScheduleState;
}

// The MQTT part's own input and output types: what the hub tells it (snapshots) and what HA asks
// for (commands). The lead maps the hub's state onto these; nothing here reaches into other parts.

export type MiningPolicy = 'always' | 'idle_only' | 'surplus';
export const POLICIES: readonly MiningPolicy[] = ['always', 'idle_only', 'surplus'];

/**
 * The policy's decision as an HA enum: the state changes only when the decision does (never
 * with a live figure). Values are stable words for automations (`state: "quiet hours"`).
 */
export const DECISIONS = [
  'mining',
  'switched off',
  'quiet hours',
  'price too high',
  'appliance busy',
  'hub busy',
  'no power budget',
  'waiting',
  'no workers',
  'paused',
  'starting',
] as const;
export type Decision = (typeof DECISIONS)[number];

/** Where jobs come from and whether that source is reachable: `practice` has no pool at all. */
export const CONNECTIONS = ['practice', 'connected', 'disconnected'] as const;
export type Connection = (typeof CONNECTIONS)[number];

export type WorkerStatus = 'mining' | 'idle' | 'busy' | 'offline';
export const WORKER_STATUSES: readonly WorkerStatus[] = ['mining', 'idle', 'busy', 'offline'];

/**
 * An entity a hub part adds to the hub's device or to a worker's (power target, AxeOS sensors, …):
 * published like the built-in ones, its key kept apart from theirs. A command entity's payloads
 * reach the hub as `{ kind: 'extra', key, worker?, value }`, and the part that added it checks them.
 */
export interface ExtraEntity {
  /** a-z, 0-9 and _, at most 40; a key a built-in entity has is left out */
  key: string;
  platform: 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'select' | 'button';
  /** null: takes the device's name */
  name: string | null;
  /** discovery fields (unit_of_measurement, device_class, options, min, max, …) */
  config: Record<string, unknown>;
  /** the state payload; absent for a button */
  state?: string;
  /** the entity takes commands on `<base>/hub/<key>/set` or `<base>/worker/<slug>/<key>/set` */
  command?: boolean;
}

/** The hub's numbers as they are now. Optional numbers that are unknown publish as HA's `None` (unknown). */
export interface HubSnapshot {
  /** entities the hub's parts add to the hub device */
  extra?: ExtraEntity[];
  /** Hashes per second over the hub pool and all workers; published as 0 when `mining` is false. */
  hashrate: number;
  sharesAccepted: number;
  sharesRejected: number;
  sharesStale: number;
  bestDifficultySession: number;
  bestDifficultyAllTime: number;
  blocksFound: number;
  poolConnected: boolean;
  activeWorkers: number;
  /** Network difficulty of the current job (undefined until the first job). */
  networkDifficulty?: number;
  /** solo: the user's own node is the job source (a block pays the payout address) */
  mode: 'practice' | 'pool' | 'solo';
  /** solo mining: the node's height (undefined while it does not answer) */
  nodeHeight?: number;
  /** The policy's decision (see decision.ts for how a plan maps onto it); `starting` when absent. */
  decision?: Decision;
  /** Why, in words without live figures ("3 threads, 1 miner; policy idle_only"), so it changes rarely. */
  decisionReason?: string;
  /** Estimated power draw of the mining, W (hub threads times watts per thread, plus miners whose power is known). */
  powerW: number;
  /** Lifetime energy used by the mining, kWh (monotonic; from the persisted totals; from the power estimate). */
  energyKwh: number;
  /**
   * The electricity price, when a price sensor is configured: its value (null while unreadable)
   * and its unit as HA reports it (e.g. `EUR/kWh`, `ct/kWh`, `EUR/MWh`). Absent: no cost entity.
   */
  electricityPrice?: { value: number | null; unit: string | null };
  /** Overrides; computed from hashrate and network difficulty when absent (see odds.ts). */
  expectedSecondsToBlock?: number;
  oddsPerDay?: number;
  /** Pool mode: expected earnings per day in satoshi (computed from blockRewardSats when absent). */
  earningsSatsPerDay?: number;
  /** Block reward used for the earnings estimate (default 3.125 BTC subsidy). */
  blockRewardSats?: number;
  mining: boolean;
  maxThreads: number;
  /** Upper bound of the max-threads control (e.g. the hub's core count). */
  maxThreadsLimit: number;
  policy: MiningPolicy;
}

/** One worker appliance (a local Stratum miner, or an HA device that computes). */
export interface WorkerSnapshot {
  /** entities the hub's parts add to this worker's device */
  extra?: ExtraEntity[];
  /** Stable id of the worker (e.g. its Stratum worker name); any text, bounded to 128 chars. */
  id: string;
  name: string;
  model?: string;
  manufacturer?: string;
  /**
   * The HA device it belongs to, when linked: its `connections` (e.g. [['mac','aa:bb:…']]) make HA
   * attach the worker's entities to that device. MQTT `identifiers` of an MQTT-discovered device may
   * be given too. Without either, the worker gets its own device, via the hub.
   */
  linkedConnections?: Array<[string, string]>;
  linkedIdentifiers?: string[];
  status: WorkerStatus;
  hashrate: number;
  shares: number;
  bestDifficulty: number;
  /** Time of the last accepted share (ms since epoch), undefined when none yet. */
  lastShareAt?: number;
  /** Power it draws now, W (0 while it does not hash): plug, declared or estimated (src/app/obedience.ts). */
  powerW?: number;
  /** Where powerW comes from (a diagnostic sensor "Power figure" when given). */
  powerHow?: 'measured' | 'plug' | 'declared' | 'estimated';
  /** The kernel it reports hashing with ("webgpu", "wasm", "native"; a diagnostic sensor "Kernel" when known). */
  kernel?: string;
  /** Energy it used while hashing since the hub started, kWh. */
  energyKwh?: number;
  /** The plan's decision for it, and why. */
  decision?: 'work' | 'pause';
  decisionReason?: string;
  /** Its Mining switch: work allowed (true, the default) or switched off by hand. */
  miningAllowed?: boolean;
}

export interface MinerSnapshot {
  hub: HubSnapshot;
  workers: WorkerSnapshot[];
}

/** What HA asks for through the control entities. */
export type MinerCommand =
  | { kind: 'mining'; on: boolean }
  | { kind: 'threads'; threads: number }
  | { kind: 'policy'; policy: MiningPolicy }
  | { kind: 'reset_session' }
  /** a worker's own Mining switch (work allowed or not) */
  | { kind: 'worker_mining'; worker: string; on: boolean }
  /** a command to an entity a part added (ExtraEntity): the part checks the value (trimmed, at most 64 bytes) */
  | { kind: 'extra'; key: string; worker?: string; value: string };

// The MQTT part's own input and output types: what the hub tells it (snapshots) and what HA asks
// for (commands). The lead maps the hub's state onto these; nothing here reaches into other parts.

export type MiningPolicy = 'always' | 'idle_only' | 'surplus';
export const POLICIES: readonly MiningPolicy[] = ['always', 'idle_only', 'surplus'];

export type WorkerStatus = 'mining' | 'idle' | 'busy' | 'offline';
export const WORKER_STATUSES: readonly WorkerStatus[] = ['mining', 'idle', 'busy', 'offline'];

/** The hub's numbers as they are now. Optional numbers that are unknown publish as HA's `None` (unknown). */
export interface HubSnapshot {
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
  mode: 'practice' | 'pool';
  /** The policy's current decision in words ("mining: 3 threads, 2 appliances idle, 640 W surplus"). */
  policyDecision: string;
  /** Estimated power draw of the mining, W. */
  powerW: number;
  /** Lifetime energy used by the mining, kWh (monotonic; from the persisted totals). */
  energyKwh: number;
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
  | { kind: 'reset_session' };

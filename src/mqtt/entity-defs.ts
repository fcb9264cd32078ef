// Which entities the hub's and the workers' devices have, and the state of each (pure). The
// device documents around them are built in entities.ts.
import {
  costPerDay,
  earningsSatsPerDay,
  expectedSecondsToBlock,
  oddsAgainstPerDay,
  parsePriceUnit,
  DEFAULT_BLOCK_REWARD_SATS,
  SECONDS_PER_YEAR,
} from './odds.js';
import { CONNECTIONS, DECISIONS, POLICIES, WORKER_STATUSES, type Connection, type ExtraEntity, type HubSnapshot, type WorkerSnapshot } from './types.js';
import { formatNumber, truncateState, PAYLOAD_NONE, PAYLOAD_OFF, PAYLOAD_ON, PAYLOAD_PRESS, type Platform } from './entity-base.js';

export interface EntityDef<S> {
  key: string;
  platform: Platform;
  /** null: the entity is the device's main feature and takes the device's name. */
  name: string | null;
  config: Record<string, unknown>;
  /** State payload; undefined for entities without state (buttons). */
  state?: (s: S) => string;
  command?: boolean;
}

/** A well-formed key for an extra entity. */
export const EXTRA_KEY = /^[a-z0-9_]{1,40}$/;

/** The extra entities of a device as definitions, after its own: bad keys and keys it already has are left out. */
export function withExtras<S>(own: Array<EntityDef<S>>, extra: readonly ExtraEntity[] | undefined): Array<EntityDef<S>> {
  if (!extra?.length) return own;
  const taken = new Set(own.map((d) => d.key));
  const out = [...own];
  for (const e of extra.slice(0, 64)) {
    if (!EXTRA_KEY.test(e.key) || taken.has(e.key)) continue;
    taken.add(e.key);
    const state = e.state;
    out.push({
      key: e.key,
      platform: e.platform,
      name: e.name,
      config: e.config,
      ...(state !== undefined ? { state: () => truncateState(state) } : {}),
      ...(e.command ? { command: true } : {}),
    });
  }
  return out;
}

/** The numbers derived from hashrate and network difficulty, unless the snapshot gives them. */
export function derived(h: HubSnapshot): {
  hashrate: number;
  expectedSeconds: number;
  oddsAgainstPerDay: number;
  earningsSatsPerDay: number;
  costPerDay: number;
} {
  const hashrate = h.mining && Number.isFinite(h.hashrate) && h.hashrate > 0 ? h.hashrate : 0;
  const d = h.networkDifficulty ?? NaN;
  const expectedSeconds = h.expectedSecondsToBlock ?? expectedSecondsToBlock(hashrate, d);
  const p = h.oddsPerDay;
  return {
    hashrate,
    expectedSeconds,
    // "N to 1" from a given probability, else from hashrate and difficulty
    oddsAgainstPerDay: p !== undefined ? (p > 0 && p <= 1 ? (1 - p) / p : Infinity) : oddsAgainstPerDay(hashrate, d),
    earningsSatsPerDay:
      h.earningsSatsPerDay ?? (h.networkDifficulty === undefined ? NaN : earningsSatsPerDay(hashrate, d, h.blockRewardSats ?? DEFAULT_BLOCK_REWARD_SATS)),
    costPerDay: h.electricityPrice ? costPerDay(h.powerW, h.electricityPrice.value, parsePriceUnit(h.electricityPrice.unit)) : NaN,
  };
}

/** Pool connection as an enum: practice mode has no pool, so it says so rather than "connected". */
export function connectionOf(h: HubSnapshot): Connection {
  if (h.mode === 'practice') return 'practice';
  return h.poolConnected ? 'connected' : 'disconnected';
}

const measurement = { state_class: 'measurement' };
const counter = { state_class: 'total_increasing' };
/** One unit for every hashrate (hub and workers) so HA's long-term statistics can compare them. */
const MHS = 1e6;
const hashrateConfig = { ...measurement, unit_of_measurement: 'MH/s', suggested_display_precision: 2, icon: 'mdi:speedometer' };
/** Hashrate as MH/s with 4 significant digits (0 when not mining: never unknown). */
const mhs = (h: number) => formatNumber(Number.isFinite(h) && h > 0 ? h / MHS : 0, 4);

/**
 * Names read well after the device name (HA: "<device> <entity>"): "Micro Mining Hashrate",
 * "Micro Mining Decision"; the main switch has no name of its own and is "Micro Mining".
 */
export function hubDefs(h: HubSnapshot): Array<EntityDef<HubSnapshot>> {
  const defs: Array<EntityDef<HubSnapshot>> = [
    { key: 'hashrate', platform: 'sensor', name: 'Hashrate', config: hashrateConfig, state: (s) => mhs(derived(s).hashrate) },
    {
      key: 'decision',
      platform: 'sensor',
      name: 'Decision',
      config: { device_class: 'enum', options: [...DECISIONS], icon: 'mdi:scale-balance' },
      state: (s) => s.decision ?? 'starting',
    },
    {
      key: 'decision_reason',
      platform: 'sensor',
      name: 'Decision reason',
      config: { entity_category: 'diagnostic', icon: 'mdi:comment-question-outline' },
      state: (s) => truncateState(s.decisionReason || 'waiting for the first plan'),
    },
    {
      key: 'shares_accepted',
      platform: 'sensor',
      name: 'Shares accepted',
      config: { ...counter, icon: 'mdi:check-circle-outline' },
      state: (s) => formatNumber(s.sharesAccepted),
    },
    {
      key: 'shares_rejected',
      platform: 'sensor',
      name: 'Shares rejected',
      config: { ...counter, icon: 'mdi:close-circle-outline' },
      state: (s) => formatNumber(s.sharesRejected),
    },
    {
      key: 'shares_stale',
      platform: 'sensor',
      name: 'Shares stale',
      config: { ...counter, icon: 'mdi:clock-alert-outline' },
      state: (s) => formatNumber(s.sharesStale),
    },
    {
      key: 'best_difficulty_session',
      platform: 'sensor',
      name: 'Best share (session)',
      config: { ...measurement, icon: 'mdi:trophy-outline' },
      state: (s) => formatNumber(s.bestDifficultySession),
    },
    {
      key: 'best_difficulty_all_time',
      platform: 'sensor',
      name: 'Best share (all time)',
      config: { ...measurement, icon: 'mdi:trophy' },
      state: (s) => formatNumber(s.bestDifficultyAllTime),
    },
    {
      key: 'blocks_found',
      platform: 'sensor',
      name: 'Blocks found',
      config: { ...counter, icon: 'mdi:cube-outline' },
      state: (s) => formatNumber(s.blocksFound),
    },
    {
      key: 'pool_connection',
      platform: 'sensor',
      name: 'Pool connection',
      config: { device_class: 'enum', options: [...CONNECTIONS], entity_category: 'diagnostic', icon: 'mdi:lan-connect' },
      state: (s) => connectionOf(s),
    },
    {
      key: 'active_workers',
      platform: 'sensor',
      name: 'Active workers',
      config: { ...measurement, icon: 'mdi:account-hard-hat' },
      state: (s) => formatNumber(s.activeWorkers),
    },
    {
      key: 'network_difficulty',
      platform: 'sensor',
      name: 'Network difficulty',
      config: { ...measurement, entity_category: 'diagnostic', suggested_display_precision: 0, icon: 'mdi:chart-bell-curve' },
      state: (s) => formatNumber(s.networkDifficulty),
    },
    {
      key: 'mode',
      platform: 'sensor',
      name: 'Mode',
      config: { device_class: 'enum', options: ['practice', 'pool', 'solo'], entity_category: 'diagnostic', icon: 'mdi:school-outline' },
      state: (s) => s.mode,
    },
    // Always an estimate (threads x watts per thread): the names say so.
    {
      key: 'power',
      platform: 'sensor',
      name: 'Estimated power',
      config: { ...measurement, device_class: 'power', unit_of_measurement: 'W', suggested_display_precision: 0 },
      state: (s) => formatNumber(s.powerW, 4),
    },
    {
      key: 'energy',
      platform: 'sensor',
      name: 'Estimated energy',
      config: { ...counter, device_class: 'energy', unit_of_measurement: 'kWh', suggested_display_precision: 3 },
      state: (s) => formatNumber(s.energyKwh),
    },
    // Years, not days (HA's duration class stops at days): "9,070,000,000 y" reads as 9 billion years.
    {
      key: 'expected_time_to_block',
      platform: 'sensor',
      name: 'Expected time to a block',
      config: { ...measurement, unit_of_measurement: 'y', icon: 'mdi:timer-sand' },
      state: (s) => formatNumber(derived(s).expectedSeconds / SECONDS_PER_YEAR, 3),
    },
    // Odds as bookmakers say them: "3,310,000,000,000 to 1" (a number, so it has statistics and stays out of the logbook).
    {
      key: 'odds_per_day',
      platform: 'sensor',
      name: 'Block odds per day',
      config: { ...measurement, unit_of_measurement: 'to 1', icon: 'mdi:dice-multiple' },
      state: (s) => formatNumber(derived(s).oddsAgainstPerDay, 3),
    },
  ];
  if (h.mode === 'solo') {
    defs.push({
      key: 'node_height',
      platform: 'sensor',
      name: 'Node block height',
      config: { ...measurement, entity_category: 'diagnostic', icon: 'mdi:cube-scan' },
      state: (s) => formatNumber(s.nodeHeight),
    });
  }
  if (h.mode === 'pool' || h.mode === 'solo') {
    defs.push({
      key: 'earnings_per_day',
      platform: 'sensor',
      name: 'Estimated earnings per day',
      config: { ...measurement, unit_of_measurement: 'sat', suggested_display_precision: 2, icon: 'mdi:bitcoin' },
      state: (s) => formatNumber(derived(s).earningsSatsPerDay, 3),
    });
  }
  if (h.electricityPrice) {
    const unit = parsePriceUnit(h.electricityPrice.unit);
    const currency = unit?.currency;
    defs.push({
      key: 'cost_per_day',
      platform: 'sensor',
      name: 'Estimated cost per day',
      // not device_class monetary: HA allows only state_class total there, and this is a rate
      config: { ...measurement, ...(currency ? { unit_of_measurement: currency } : {}), suggested_display_precision: 2, icon: 'mdi:cash-clock' },
      state: (s) => formatNumber(derived(s).costPerDay, 3),
    });
  }
  const limit = Math.max(0, Math.floor(Number.isFinite(h.maxThreadsLimit) ? h.maxThreadsLimit : 0));
  defs.push(
    // the device's main feature: no name of its own, so HA calls it "Micro Mining"
    {
      key: 'mining',
      platform: 'switch',
      name: null,
      config: { payload_on: PAYLOAD_ON, payload_off: PAYLOAD_OFF, state_on: PAYLOAD_ON, state_off: PAYLOAD_OFF, icon: 'mdi:pickaxe' },
      state: (s) => (s.mining ? PAYLOAD_ON : PAYLOAD_OFF),
      command: true,
    },
    {
      key: 'max_threads',
      platform: 'number',
      name: 'Max hub threads',
      config: { min: 0, max: limit, step: 1, mode: 'box', entity_category: 'config', icon: 'mdi:cpu-64-bit' },
      state: (s) => formatNumber(s.maxThreads),
      command: true,
    },
    {
      key: 'policy',
      platform: 'select',
      name: 'Policy',
      config: { options: [...POLICIES], entity_category: 'config', icon: 'mdi:tune-variant' },
      state: (s) => s.policy,
      command: true,
    },
    {
      key: 'reset_session',
      platform: 'button',
      name: 'Reset session statistics',
      config: { payload_press: PAYLOAD_PRESS, icon: 'mdi:restart' },
      command: true,
    },
  );
  return defs;
}

const WORKER_DEFS: Array<EntityDef<WorkerSnapshot>> = [
  {
    key: 'status',
    platform: 'sensor',
    name: 'Mining status',
    config: { device_class: 'enum', options: [...WORKER_STATUSES], icon: 'mdi:pickaxe' },
    state: (w) => w.status,
  },
  { key: 'hashrate', platform: 'sensor', name: 'Hashrate', config: hashrateConfig, state: (w) => mhs(w.status === 'offline' ? 0 : w.hashrate) },
  { key: 'shares', platform: 'sensor', name: 'Shares', config: { ...counter, icon: 'mdi:check-circle-outline' }, state: (w) => formatNumber(w.shares) },
  {
    key: 'best_difficulty',
    platform: 'sensor',
    name: 'Best share',
    config: { ...measurement, icon: 'mdi:trophy-outline' },
    state: (w) => formatNumber(w.bestDifficulty),
  },
  {
    key: 'last_share',
    platform: 'sensor',
    name: 'Last share',
    config: { device_class: 'timestamp', icon: 'mdi:clock-check-outline' },
    state: (w) => (w.lastShareAt !== undefined && Number.isFinite(w.lastShareAt) ? new Date(w.lastShareAt).toISOString() : PAYLOAD_NONE),
  },
  // what the plan does with it (states are published only when they change) and what it costs
  {
    key: 'power',
    platform: 'sensor',
    name: 'Mining power',
    config: { ...measurement, device_class: 'power', unit_of_measurement: 'W', suggested_display_precision: 0 },
    state: (w) => formatNumber(w.powerW ?? 0),
  },
  {
    key: 'energy',
    platform: 'sensor',
    name: 'Mining energy',
    config: { state_class: 'total_increasing', device_class: 'energy', unit_of_measurement: 'kWh', suggested_display_precision: 3 },
    state: (w) => formatNumber(w.energyKwh ?? 0),
  },
  {
    key: 'decision',
    platform: 'sensor',
    name: 'Plan decision',
    config: { device_class: 'enum', options: ['work', 'pause'], icon: 'mdi:calendar-check' },
    state: (w) => w.decision ?? PAYLOAD_NONE,
  },
  {
    key: 'decision_reason',
    platform: 'sensor',
    name: 'Plan reason',
    config: { entity_category: 'diagnostic', icon: 'mdi:comment-question-outline' },
    state: (w) => truncateState(w.decisionReason || 'waiting for the first plan'),
  },
  // work allowed or not, by hand: off pauses this worker whatever the plan says
  {
    key: 'mining',
    platform: 'switch',
    name: 'Mining',
    config: { payload_on: PAYLOAD_ON, payload_off: PAYLOAD_OFF, state_on: PAYLOAD_ON, state_off: PAYLOAD_OFF, icon: 'mdi:pickaxe' },
    state: (w) => (w.miningAllowed === false ? PAYLOAD_OFF : PAYLOAD_ON),
    command: true,
  },
];

/** Where a watt figure comes from (docs: measured / plug / declared / estimated). */
const POWER_HOWS = ['measured', 'plug', 'declared', 'estimated'] as const;

/**
 * Sensors a worker has once the hub knows the figure: where its power figure comes from, and the
 * kernel it reports (agents and browser pages). Devices without them keep the plain set.
 */
export function workerDefs(w: WorkerSnapshot): Array<EntityDef<WorkerSnapshot>> {
  const defs = [...WORKER_DEFS];
  if (w.powerHow)
    defs.push({
      key: 'power_source',
      platform: 'sensor',
      name: 'Power figure',
      config: { device_class: 'enum', options: [...POWER_HOWS], entity_category: 'diagnostic', icon: 'mdi:gauge' },
      state: (x) => x.powerHow ?? 'estimated',
    });
  if (w.kernel)
    defs.push({
      key: 'kernel',
      platform: 'sensor',
      name: 'Kernel',
      config: { entity_category: 'diagnostic', icon: 'mdi:chip' },
      state: (x) => truncateState(x.kernel ?? ''),
    });
  return defs;
}

// The entity model: from a MinerSnapshot to HA device-discovery configs and state payloads.
// Pure: no I/O. MqttEntities (mqtt-entities.ts) decides when to send what.
import { createHash } from 'node:crypto';
import {
  costPerDay,
  earningsSatsPerDay,
  expectedSecondsToBlock,
  oddsAgainstPerDay,
  parsePriceUnit,
  DEFAULT_BLOCK_REWARD_SATS,
  SECONDS_PER_YEAR,
} from './odds.js';
import {
  CONNECTIONS,
  DECISIONS,
  POLICIES,
  WORKER_STATUSES,
  type Connection,
  type ExtraEntity,
  type HubSnapshot,
  type MinerSnapshot,
  type WorkerSnapshot,
} from './types.js';

export interface EntityOptions {
  /** HA discovery prefix (default `homeassistant`). */
  discoveryPrefix: string;
  /** Prefix of every unique_id, discovery object id and default entity id (default `micro_mining`). */
  nodeId: string;
  /** Root of the state/command/availability topics (default = nodeId). */
  baseTopic: string;
  /** The hub device's name (default `Micro Mining`). */
  hubName: string;
  swVersion: string;
  supportUrl?: string;
  /** What "Visit" on the hub's device page in HA opens (the app's page); none: no link. */
  configurationUrl?: string;
}

export const DEFAULT_ENTITY_OPTIONS: EntityOptions = {
  discoveryPrefix: 'homeassistant',
  nodeId: 'micro_mining',
  baseTopic: 'micro_mining',
  hubName: 'Micro Mining',
  swVersion: '0.1.0',
};

export const PAYLOAD_ON = 'ON';
export const PAYLOAD_OFF = 'OFF';
export const PAYLOAD_PRESS = 'PRESS';
export const PAYLOAD_AVAILABLE = 'online';
export const PAYLOAD_NOT_AVAILABLE = 'offline';
/** HA's MQTT sensor reads this payload as "unknown". */
export const PAYLOAD_NONE = 'None';
/** HA keeps at most 255 characters of a state. */
export const MAX_STATE_LENGTH = 255;

type Platform = 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'select' | 'button';

export interface Topics {
  availability: string;
  hubState(key: string): string;
  hubCommand(key: string): string;
  workerState(workerSlug: string, key: string): string;
  workerCommand(workerSlug: string, key: string): string;
  hubDevice: string;
  workerDevice(workerSlug: string): string;
  /** Subscription pattern matching every device config this node could have published. */
  deviceConfigPattern: string;
  /** The object id part of a device config topic when it is one of ours, else undefined. */
  ownObjectId(topic: string): string | undefined;
}

const TOPIC_SAFE = /^[a-zA-Z0-9_-]+$/;

export function validateEntityOptions(o: EntityOptions): EntityOptions {
  if (!TOPIC_SAFE.test(o.nodeId) || o.nodeId.length > 64) throw new Error(`mqtt nodeId "${o.nodeId}": use 1-64 of [a-zA-Z0-9_-]`);
  for (const [name, t] of [
    ['discoveryPrefix', o.discoveryPrefix],
    ['baseTopic', o.baseTopic],
  ] as const) {
    if (!t || t.length > 200 || /[#+\u0000]/.test(t) || t.startsWith('/') || t.endsWith('/')) {
      throw new Error(`mqtt ${name} "${t}": a topic without wildcards (#, +), not starting or ending with /`);
    }
  }
  return o;
}

export function topics(o: EntityOptions): Topics {
  const hubObject = `${o.nodeId}_hub`;
  const workerObjectPrefix = `${o.nodeId}_w_`;
  const devicePrefix = `${o.discoveryPrefix}/device/`;
  return {
    availability: `${o.baseTopic}/availability`,
    hubState: (key) => `${o.baseTopic}/hub/${key}`,
    hubCommand: (key) => `${o.baseTopic}/hub/${key}/set`,
    workerState: (slug, key) => `${o.baseTopic}/worker/${slug}/${key}`,
    workerCommand: (slug, key) => `${o.baseTopic}/worker/${slug}/${key}/set`,
    hubDevice: `${devicePrefix}${hubObject}/config`,
    workerDevice: (slug) => `${devicePrefix}${workerObjectPrefix}${slug}/config`,
    deviceConfigPattern: `${devicePrefix}+/config`,
    ownObjectId(topic) {
      if (!topic.startsWith(devicePrefix) || !topic.endsWith('/config')) return undefined;
      const id = topic.slice(devicePrefix.length, -'/config'.length);
      if (id === hubObject || (id.startsWith(workerObjectPrefix) && TOPIC_SAFE.test(id))) return id;
      return undefined;
    },
  };
}

/**
 * A worker id as a stable slug for topics and unique_ids: lower-case [a-z0-9_], at most 40
 * characters; when that changed the id, a short hash of the original keeps distinct ids distinct.
 */
export function workerSlug(id: string): string {
  const base =
    id
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'worker';
  if (base === id) return base;
  return `${base}_${createHash('sha256').update(id).digest('hex').slice(0, 6)}`;
}

/**
 * A number as a state: integers below 1e15 as they are (counters stay exact), other finite
 * numbers with up to `digits` significant digits, else `None` (unknown). Fewer digits for derived
 * figures keep them from changing (and filling the recorder) with every bit of hashrate noise.
 */
export function formatNumber(x: number | undefined | null, digits = 6): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return PAYLOAD_NONE;
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(digits)));
}

export function truncateState(s: string): string {
  return s.length > MAX_STATE_LENGTH ? `${s.slice(0, MAX_STATE_LENGTH - 1)}…` : s;
}

interface EntityDef<S> {
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
function withExtras<S>(own: Array<EntityDef<S>>, extra: readonly ExtraEntity[] | undefined): Array<EntityDef<S>> {
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
function hubDefs(h: HubSnapshot): Array<EntityDef<HubSnapshot>> {
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
function workerDefs(w: WorkerSnapshot): Array<EntityDef<WorkerSnapshot>> {
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

/** Keys of the hub's command entities (the suffix of `<base>/hub/<key>/set`). */
export const COMMAND_KEYS = ['mining', 'max_threads', 'policy', 'reset_session'] as const;
export type CommandKey = (typeof COMMAND_KEYS)[number];

export interface DeviceDoc {
  /** `<prefix>/device/<object id>/config` */
  topic: string;
  /** The discovery payload as an object (components that were removed are kept as `{p}` stubs). */
  config: Record<string, unknown>;
  /** State topic -> payload. */
  states: Map<string, string>;
}

export interface Model {
  hub: DeviceDoc;
  /** Worker slug -> device doc. */
  workers: Map<string, DeviceDoc>;
}

function origin(o: EntityOptions): Record<string, unknown> {
  return { name: 'micro-mining', sw_version: o.swVersion, ...(o.supportUrl ? { support_url: o.supportUrl } : {}) };
}

function cmp<S>(
  def: EntityDef<S>,
  uniquePrefix: string,
  entityPrefix: string,
  stateTopic: string | undefined,
  commandTopic: string | undefined,
): Record<string, unknown> {
  return {
    p: def.platform,
    unique_id: `${uniquePrefix}_${def.key}`,
    default_entity_id: `${def.platform}.${entityPrefix}_${def.key}`,
    name: def.name,
    ...(stateTopic ? { state_topic: stateTopic } : {}),
    ...(commandTopic ? { command_topic: commandTopic } : {}),
    ...def.config,
  };
}

/**
 * Components that were in the previous config of this device and are gone now stay as
 * platform-only stubs (`{"p": "sensor"}`): that is how HA's device discovery removes one
 * component. Stubs carried from the previous config stay while the key is absent, so an
 * unchanged device keeps an identical payload.
 */
function withStubs(cmps: Record<string, Record<string, unknown>>, previous: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const prev = previous && typeof previous.cmps === 'object' && previous.cmps ? (previous.cmps as Record<string, unknown>) : {};
  const out = { ...cmps };
  for (const [key, c] of Object.entries(prev)) {
    if (key in out || !c || typeof c !== 'object') continue;
    const p = (c as Record<string, unknown>).p ?? (c as Record<string, unknown>).platform;
    if (typeof p === 'string') out[key] = { p };
  }
  return out;
}

function deviceConfig(o: EntityOptions, device: Record<string, unknown>, cmps: Record<string, Record<string, unknown>>, t: Topics): Record<string, unknown> {
  return {
    device,
    origin: origin(o),
    availability_topic: t.availability,
    payload_available: PAYLOAD_AVAILABLE,
    payload_not_available: PAYLOAD_NOT_AVAILABLE,
    qos: 1,
    cmps,
  };
}

export function hubDoc(h: HubSnapshot, o: EntityOptions, previous?: Record<string, unknown>): DeviceDoc {
  const t = topics(o);
  const unique = `${o.nodeId}_hub`;
  const cmps: Record<string, Record<string, unknown>> = {};
  const states = new Map<string, string>();
  for (const def of withExtras(hubDefs(h), h.extra)) {
    const stateTopic = def.state ? t.hubState(def.key) : undefined;
    // Hub: unique_id <nodeId>_hub_<key>, default entity id sensor.<nodeId>_<key> (sensor.micro_mining_hashrate).
    cmps[def.key] = cmp(def, unique, o.nodeId, stateTopic, def.command ? t.hubCommand(def.key) : undefined);
    if (stateTopic && def.state) states.set(stateTopic, def.state(h));
  }
  const device = {
    identifiers: [unique],
    name: o.hubName,
    manufacturer: 'Micro Mining',
    model: 'sha256d hub miner',
    sw_version: o.swVersion,
    ...(o.configurationUrl ? { configuration_url: o.configurationUrl } : {}),
  };
  return { topic: t.hubDevice, config: deviceConfig(o, device, withStubs(cmps, previous), t), states };
}

export function workerDoc(w: WorkerSnapshot, o: EntityOptions, previous?: Record<string, unknown>): DeviceDoc {
  const t = topics(o);
  const slug = workerSlug(w.id);
  // Worker: unique_id <nodeId>_w_<slug>_<key> (never equal to a hub id), entity id sensor.<nodeId>_<slug>_<key>.
  const uniquePrefix = `${o.nodeId}_w_${slug}`;
  const cmps: Record<string, Record<string, unknown>> = {};
  const states = new Map<string, string>();
  for (const def of withExtras(workerDefs(w), w.extra)) {
    const stateTopic = def.state ? t.workerState(slug, def.key) : undefined;
    cmps[def.key] = cmp(def, uniquePrefix, `${o.nodeId}_${slug}`, stateTopic, def.command ? t.workerCommand(slug, def.key) : undefined);
    if (stateTopic && def.state) states.set(stateTopic, def.state(w));
  }
  const linked = (w.linkedConnections?.length ?? 0) > 0 || (w.linkedIdentifiers?.length ?? 0) > 0;
  const identifiers = [uniquePrefix, ...(w.linkedIdentifiers ?? []).map(String).slice(0, 8)];
  // A linked worker joins an existing HA device: name/model are left to that device's integration.
  const device: Record<string, unknown> = linked
    ? { identifiers, ...(w.linkedConnections?.length ? { connections: w.linkedConnections.slice(0, 8).map(([a, b]) => [String(a), String(b)]) } : {}) }
    : {
        identifiers,
        name: truncateState(w.name || w.id),
        manufacturer: w.manufacturer ?? 'Micro Mining',
        model: w.model ?? 'Stratum worker',
        via_device: `${o.nodeId}_hub`,
      };
  return { topic: t.workerDevice(slug), config: deviceConfig(o, device, withStubs(cmps, previous), t), states };
}

/** Every device of a snapshot. `previous` gives the last config published per topic (for removal stubs). */
export function buildModel(s: MinerSnapshot, o: EntityOptions, previous: (topic: string) => Record<string, unknown> | undefined = () => undefined): Model {
  const t = topics(o);
  const workers = new Map<string, DeviceDoc>();
  for (const w of s.workers) {
    const slug = workerSlug(w.id);
    if (workers.has(slug)) continue; // first of duplicate ids wins
    workers.set(slug, workerDoc(w, o, previous(t.workerDevice(slug))));
  }
  return { hub: hubDoc(s.hub, o, previous(t.hubDevice)), workers };
}

/** State topics named in a discovery payload (to clear retained states of a removed device). */
export function stateTopicsOf(config: unknown): string[] {
  if (!config || typeof config !== 'object') return [];
  const cmps = (config as Record<string, unknown>).cmps ?? (config as Record<string, unknown>).components;
  if (!cmps || typeof cmps !== 'object') return [];
  const out: string[] = [];
  for (const c of Object.values(cmps as Record<string, unknown>)) {
    if (!c || typeof c !== 'object') continue;
    const st = (c as Record<string, unknown>).state_topic ?? (c as Record<string, unknown>).stat_t;
    if (typeof st === 'string' && st.length <= 256 && !/[#+]/.test(st)) out.push(st);
  }
  return out.slice(0, 64);
}

// One linked AxeOS miner as the part holds it, its /api/status view, and the rule (pure) for
// what counts as the user's own settings after a new reading.
import type { AxeosClient } from './client.js';
import type { LiveFeed } from './live.js';
import type { AxeosReading, AxeosState } from './model.js';
import type { AxeosSettings } from './client.js';
import { isSendable, type DeviceOptions, type Reference, type UserSettings } from './steer.js';
import { rememberedUser, type Remembered } from './types.js';

/** Per worker, for /api/status. */
export interface AxeosStatus {
  url: string;
  via: 'address' | 'mapping';
  firmware: string | null;
  /** measured by the device */
  power_w: number | null;
  /** measured (null: not reported) */
  fan_percent: number | null;
  temp_c: number | null;
  vr_temp_c: number | null;
  frequency_mhz: number | null;
  core_voltage_mv: number | null;
  hashrate_ghs: number | null;
  best_difficulty: number | null;
  best_session_difficulty: number | null;
  paused: boolean | null;
  overheat: boolean;
  power_fault: string | null;
  steered: boolean;
  budget_w: number | null;
  state: AxeosState;
  detail: string | null;
  can_pause: boolean;
  frequency_options: number[];
  voltage_options: number[];
  user: UserSettings | null;
  last_action: string | null;
}

export interface Miner {
  worker: string;
  url: string;
  via: 'address' | 'mapping';
  client: AxeosClient;
  state: AxeosState;
  detail: string | null;
  raw: Record<string, unknown> | null;
  reading: AxeosReading | null;
  options: DeviceOptions;
  canPause: boolean;
  user: UserSettings | null;
  steered: boolean;
  budgetW: number | null;
  ref: Reference | null;
  lastChangeAt: number | null;
  lastSent: UserSettings | null;
  sawOverheat: boolean;
  lastAction: string | null;
  pausedByHub: boolean;
  /** paused through pause() (the plan's obey): steering leaves it paused until resume() */
  held: boolean;
  polling: boolean;
  timer: NodeJS.Timeout | null;
  live: LiveFeed | null;
  liveAt: number;
  busy: Promise<void>;
  gone: boolean;
}

export function statusOf(m: Miner): AxeosStatus {
  const r = m.reading;
  return {
    url: m.url,
    via: m.via,
    firmware: r?.firmware ?? null,
    power_w: r?.power_w ?? null,
    fan_percent: r?.fan_percent ?? null,
    temp_c: r?.temp_c ?? null,
    vr_temp_c: r?.vr_temp_c ?? null,
    frequency_mhz: r?.frequency_mhz ?? null,
    core_voltage_mv: r?.core_voltage_mv ?? null,
    hashrate_ghs: r?.hashrate_ghs ?? null,
    best_difficulty: r?.best_difficulty ?? null,
    best_session_difficulty: r?.best_session_difficulty ?? null,
    paused: r?.paused ?? null,
    overheat: r?.overheat ?? false,
    power_fault: r?.power_fault ?? null,
    steered: m.steered,
    budget_w: m.budgetW,
    state: m.state,
    detail: m.detail,
    can_pause: m.canPause,
    frequency_options: [...m.options.frequency],
    voltage_options: [...m.options.voltage],
    user: m.user ? { ...m.user } : null,
    last_action: m.lastAction,
  };
}

/** How long after the hub's own change a different device value counts as someone else's. */
export const SETTLE_MS = 5000;

/**
 * The user's own settings after this reading (null: unchanged). First contact remembers the
 * device's; after an overheat the firmware's lowered settings become the ceiling; a change on
 * the device the hub did not make (the AxeOS page) is the user's word.
 */
export function settingsAfter(
  m: Pick<Miner, 'user' | 'lastSent' | 'lastChangeAt' | 'sawOverheat'>,
  reading: AxeosReading,
  prevOverheat: boolean,
  now: number,
): { user: UserSettings; why: string } | null {
  const f = reading.frequency_mhz;
  const v = reading.core_voltage_mv;
  if (f === null || v === null) return null;
  if (!m.user) return { user: { frequency: f, coreVoltage: v }, why: 'first contact' };
  if (reading.overheat) return null;
  if (m.sawOverheat && prevOverheat)
    return {
      user: { frequency: Math.min(f, m.user.frequency), coreVoltage: Math.min(v, m.user.coreVoltage) },
      why: 'the firmware lowered its settings after an overheat',
    };
  if (!m.lastSent && (f !== m.user.frequency || v !== m.user.coreVoltage)) return { user: { frequency: f, coreVoltage: v }, why: 'changed on the device' };
  if (m.lastSent && (f !== m.lastSent.frequency || v !== m.lastSent.coreVoltage) && m.lastChangeAt !== null && now - m.lastChangeAt > SETTLE_MS)
    return { user: { frequency: f, coreVoltage: v }, why: 'changed on the device while steered' };
  return null;
}

/** A reading taken while hashing is the reference for the estimates of every step. */
export function referenceOf(r: AxeosReading): Reference | null {
  if (r.paused || r.overheat || r.frequency_mhz === null || r.core_voltage_mv === null) return null;
  if (r.power_w === null || !(r.power_w > 0) || !((r.hashrate_ghs ?? 0) > 0)) return null;
  return { power_w: r.power_w, frequency_mhz: r.frequency_mhz, core_voltage_mv: r.core_voltage_mv, hashrate_ghs: r.hashrate_ghs! };
}

/** A newly linked miner (nothing read yet; `failure`: why it is unreachable, for a mapping). */
export function newMiner(o: {
  worker: string;
  url: string;
  via: 'address' | 'mapping';
  client: AxeosClient;
  failure: string | null;
  remembered: Remembered | undefined;
  steered: boolean;
}): Miner {
  return {
    worker: o.worker,
    url: o.url,
    via: o.via,
    client: o.client,
    state: 'unreachable',
    detail: o.failure,
    raw: null,
    reading: null,
    options: { frequency: [], voltage: [] },
    canPause: false,
    user: rememberedUser(o.remembered),
    steered: o.steered,
    budgetW: null,
    ref: null,
    lastChangeAt: null,
    lastSent: null,
    sawOverheat: false,
    lastAction: null,
    pausedByHub: o.remembered?.pausedByHub === true,
    held: false,
    polling: false,
    timer: null,
    live: null,
    liveAt: 0,
    busy: Promise.resolve(),
    gone: false,
  };
}

/** The reading in the shape the power allocator's axeosSteps() takes (src/schedule). */
export interface PowerReading {
  frequencyOptions: number[] | null;
  userFrequency: number;
  frequency: number;
  /** W, measured by the device (the last reading taken while hashing) */
  power: number;
  /** H/s */
  hashrate: number;
  overheat: boolean;
}

/**
 * The options, the user's own frequency, and the last reading taken while hashing (power W,
 * hashrate H/s); null before the first such reading.
 */
export function powerReadingOf(m: Miner): PowerReading | null {
  if (!m.user || !m.ref) return null;
  return {
    frequencyOptions: m.options.frequency.length ? [...m.options.frequency] : null,
    userFrequency: m.user.frequency,
    frequency: m.ref.frequency_mhz,
    power: m.ref.power_w,
    hashrate: m.ref.hashrate_ghs * 1e9,
    overheat: (m.reading?.overheat ?? false) || (m.reading?.power_fault ?? null) !== null,
  };
}

/** Why the user's pick of `mhz` in the Frequency select is refused (null: it may be sent). */
export function frequencyChoiceProblem(m: Pick<Miner, 'reading' | 'options'>, mhz: number): string | null {
  const cur = m.reading?.frequency_mhz ?? null;
  const list = m.options.frequency;
  const okValue = Number.isFinite(mhz) && mhz > 0 && (list.length ? list.includes(mhz) : cur !== null && mhz <= cur);
  if (!okValue)
    return list.length
      ? `${mhz} MHz is not one of the device's options (${list.join(', ')})`
      : `this firmware lists no options: only ${cur ?? '?'} MHz or less`;
  if (m.reading && (m.reading.overheat || m.reading.power_fault) && cur !== null && mhz > cur)
    return 'not while the device is overheated or shows a power fault';
  return null;
}

/** The last guard before the wire: the setting that may not be sent (null: all listed, or the user's own). */
export function sendRefusal(m: Pick<Miner, 'reading' | 'options'>, s: AxeosSettings, user: UserSettings): 'frequency' | 'coreVoltage' | null {
  const cur = m.reading;
  if (
    s.frequency !== undefined &&
    !isSendable(s.frequency, m.options.frequency, user.frequency, cur?.frequency_mhz ?? null) &&
    !m.options.frequency.includes(s.frequency)
  )
    return 'frequency';
  if (s.coreVoltage !== undefined && !isSendable(s.coreVoltage, m.options.voltage, user.coreVoltage, cur?.core_voltage_mv ?? null)) return 'coreVoltage';
  return null;
}

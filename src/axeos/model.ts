// What an AxeOS miner (Bitaxe, ESP-Miner and its forks) reports, read leniently into one typed
// model. Three firmware generations and the forks differ in types and in which fields exist
// (../shared/reference/axeos-api.md): bestDiff as a number, a string or a suffixed string
// ("270M", "4.29G"); miningPaused, hashRate_1m, expectedHashrate and /api/system/asic missing on
// older firmware; power_fault present only while a fault shows. A field of a type we cannot read
// becomes null; only a reply that is not an AxeOS info object at all is a bad reply.
import { z } from 'zod';

/** A device's state in words (for HA, the status page and /api/status). */
export type AxeosState =
  | 'ok'
  | 'paused'
  | 'overheated'
  | 'power fault'
  | 'unreachable'
  | 'refused'
  | 'not found'
  | 'server error'
  | 'timed out'
  | 'bad reply'
  | 'not linked';

/** One reading of GET /api/system/info. Every watt figure here is measured by the device. */
export interface AxeosReading {
  /** firmware version (`version`), e.g. "v2.14.0" */
  firmware: string | null;
  axeos_version: string | null;
  asic_model: string | null;
  board_version: string | null;
  /** measured input power (W) */
  power_w: number | null;
  /** measured input voltage (V; the device reports mV) */
  input_voltage_v: number | null;
  /** chip temperature (°C) */
  temp_c: number | null;
  /** voltage regulator temperature (°C) */
  vr_temp_c: number | null;
  /** the configured ASIC frequency (MHz) */
  frequency_mhz: number | null;
  /** the configured core voltage (mV) */
  core_voltage_mv: number | null;
  /** the measured core voltage (mV) */
  core_voltage_actual_mv: number | null;
  /** hash rate as the device reports it (GH/s) */
  hashrate_ghs: number | null;
  /** the device's own expected hash rate at this frequency (GH/s), recent firmware only */
  expected_hashrate_ghs: number | null;
  /** fan duty (%) */
  fan_percent: number | null;
  fan_rpm: number | null;
  best_difficulty: number | null;
  best_session_difficulty: number | null;
  shares_accepted: number | null;
  shares_rejected: number | null;
  /** overheat_mode set: the firmware stopped mining to cool down */
  overheat: boolean;
  /** the regulator's fault text while a power fault shows, else null */
  power_fault: string | null;
  /** miningPaused (v2.14+); null when the firmware does not say */
  paused: boolean | null;
  /** upper-case, colon-separated */
  mac: string | null;
  hostname: string | null;
  stratum_url: string | null;
  stratum_port: number | null;
  stratum_user: string | null;
  max_power_w: number | null;
  small_core_count: number | null;
  uptime_s: number | null;
}

/** GET /api/system/asic (recent firmware): the steps the device itself offers. */
export interface AxeosAsicInfo {
  asic_model: string | null;
  device_model: string | null;
  asic_count: number | null;
  default_frequency_mhz: number | null;
  default_voltage_mv: number | null;
  /** MHz, ascending, unique, positive */
  frequencyOptions: number[];
  /** mV, ascending, unique, positive */
  voltageOptions: number[];
}

// ---- lenient scalars ------------------------------------------------------------------------

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A finite number from a number or a numeric string, else null. */
export function lenientNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const s = v.trim();
    if (!s || s.length > 40 || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
    const n = Number(s);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/**
 * A difficulty as firmware and forks send it: 123456, "123456", "270M", "4.29G", "1.2 T",
 * "12.5k". Suffixes are powers of 1000 (ESP-Miner's suffix_string). Negative or unreadable: null.
 */
export function parseDifficulty(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (!s || s.length > 40) return null;
  const m = /^(\d+(?:\.\d+)?|\.\d+)(?:[eE]([-+]?\d+))?\s*([kKMGTPE])?$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]) * (m[2] ? 10 ** Number(m[2]) : 1) * (m[3] ? SUFFIX[m[3]]! : 1);
  return Number.isFinite(n) ? n : null;
}

/** 0/1, true/false, "0"/"1", "true"/"false"; else null. */
export function lenientBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 0 ? false : v === 1 ? true : v > 0 ? true : null;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === '1' || s === 'true' || s === 'on') return true;
    if (s === '0' || s === 'false' || s === 'off' || s === '') return false;
  }
  return null;
}

function text(v: unknown, max = 256): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  // control characters a device sent are stripped on purpose
  const s = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (!s) return null;
  return s.length > max ? s.slice(0, max) : s;
}

/** aa:bb:cc:dd:ee:ff in any case, or with - separators, as AA:BB:CC:DD:EE:FF; else null. */
export function normalizeMac(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim().toUpperCase().replace(/-/g, ':');
  return /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/.test(s) ? s : null;
}

// optional() first: a missing key still runs the transform (and becomes null)
const field = () => z.unknown().optional();
const num = field().transform(lenientNumber);
const nonNeg = field().transform((v) => {
  const n = lenientNumber(v);
  return n === null || n < 0 ? null : n;
});
const str = field().transform((v) => text(v));
const diff = field().transform(parseDifficulty);

const infoSchema = z.looseObject({
  version: str,
  axeOSVersion: str,
  ASICModel: str,
  boardVersion: str,
  power: nonNeg,
  voltage: nonNeg,
  temp: num,
  vrTemp: num,
  frequency: nonNeg,
  coreVoltage: nonNeg,
  coreVoltageActual: nonNeg,
  hashRate: nonNeg,
  expectedHashrate: nonNeg,
  fanspeed: nonNeg,
  fanrpm: nonNeg,
  bestDiff: diff,
  bestSessionDiff: diff,
  sharesAccepted: nonNeg,
  sharesRejected: nonNeg,
  overheat_mode: field().transform(lenientBool),
  power_fault: field(),
  miningPaused: field().transform(lenientBool),
  macAddr: field().transform(normalizeMac),
  hostname: str,
  stratumURL: str,
  stratumPort: nonNeg,
  stratumUser: str,
  maxPower: nonNeg,
  smallCoreCount: nonNeg,
  uptimeSeconds: nonNeg,
});

/** Keys whose presence says "this is AxeOS's info object" (at least two of them). */
const SIGNATURE = ['ASICModel', 'hashRate', 'frequency', 'coreVoltage', 'bestDiff', 'macAddr', 'power'];

export class BadReply extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadReply';
  }
}

function powerFault(v: unknown): string | null {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return null;
  if (typeof v === 'string') return text(v, 200) ?? null;
  if (v === true || typeof v === 'number') return 'power fault';
  return 'power fault';
}

/** Reads an info reply (already JSON-parsed). Throws BadReply when it is not AxeOS's info object. */
export function parseInfo(raw: unknown): AxeosReading {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadReply('not a JSON object');
  const keys = SIGNATURE.filter((k) => k in (raw as Record<string, unknown>));
  if (keys.length < 2) throw new BadReply('not an AxeOS info object (no ASICModel, hashRate, frequency…)');
  const r = infoSchema.safeParse(raw);
  if (!r.success) throw new BadReply(r.error.issues[0]?.message ?? 'unreadable');
  const d = r.data;
  const voltage = d.voltage;
  return {
    firmware: d.version,
    axeos_version: d.axeOSVersion,
    asic_model: d.ASICModel,
    board_version: d.boardVersion,
    power_w: d.power,
    // ESP-Miner reports the input voltage in mV (5100); a few forks in V (5.1)
    input_voltage_v: voltage === null ? null : voltage > 100 ? voltage / 1000 : voltage,
    temp_c: d.temp,
    vr_temp_c: d.vrTemp,
    frequency_mhz: d.frequency,
    core_voltage_mv: d.coreVoltage,
    core_voltage_actual_mv: d.coreVoltageActual,
    hashrate_ghs: d.hashRate,
    expected_hashrate_ghs: d.expectedHashrate,
    fan_percent: d.fanspeed,
    fan_rpm: d.fanrpm,
    best_difficulty: d.bestDiff,
    best_session_difficulty: d.bestSessionDiff,
    shares_accepted: d.sharesAccepted,
    shares_rejected: d.sharesRejected,
    overheat: d.overheat_mode === true,
    power_fault: powerFault(d.power_fault),
    paused: d.miningPaused,
    mac: d.macAddr,
    hostname: d.hostname,
    stratum_url: d.stratumURL,
    stratum_port: d.stratumPort,
    stratum_user: d.stratumUser,
    max_power_w: d.maxPower,
    small_core_count: d.smallCoreCount,
    uptime_s: d.uptimeSeconds,
  };
}

/** A list of positive numbers, sorted and unique (at most 64: no device lists more). */
function optionList(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  const out = new Set<number>();
  for (const x of v.slice(0, 64)) {
    const n = lenientNumber(x);
    if (n !== null && n > 0 && n < 100_000) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/** Reads a /api/system/asic reply. Throws BadReply when it is not an object. */
export function parseAsic(raw: unknown): AxeosAsicInfo {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadReply('not a JSON object');
  const o = raw as Record<string, unknown>;
  return {
    asic_model: text(o.ASICModel),
    device_model: text(o.deviceModel),
    asic_count: lenientNumber(o.asicCount),
    default_frequency_mhz: lenientNumber(o.defaultFrequency),
    default_voltage_mv: lenientNumber(o.defaultVoltage),
    frequencyOptions: optionList(o.frequencyOptions),
    voltageOptions: optionList(o.voltageOptions),
  };
}

/** The state a reading shows (a reachable device): overheated and power fault come first. */
export function readingState(r: AxeosReading): AxeosState {
  if (r.overheat) return 'overheated';
  if (r.power_fault) return 'power fault';
  if (r.paused) return 'paused';
  return 'ok';
}

/** A live update merged over the last info object (the websocket sends changed fields only). */
export function mergeLive(last: Record<string, unknown>, data: unknown): Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return last;
  const out: Record<string, unknown> = { ...last };
  let n = 0;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (++n > 500) break;
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[k] = v;
  }
  return out;
}

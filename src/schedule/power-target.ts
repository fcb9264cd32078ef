// The power target's source, pure: an HA state (a W or kW sensor: EMHASS's p_deferrable0, Solar
// Optimizer, a surplus template, a grid meter) -> a target in W or no figure, with a state in words.
// A short gap in the sensor (unavailable for a few seconds) keeps the last figure for `holdS`;
// after that there is no figure and nothing mines. Switching on a flapping figure is bounded by
// the allocator (deadband, minimum on/off and step times), not here.

/** The part of a Home Assistant state object the target reads. */
export interface TargetReading {
  state: string;
  attributes?: Record<string, unknown>;
}

export type TargetStatus =
  | 'ok' // a figure, as read
  | 'negative' // read below 0: target 0 W
  | 'capped' // above the fleet's maximum: the whole fleet can run (the figure is kept as read)
  | 'held' // no figure just now: the last one kept for a short time
  | 'missing' // no such entity (yet)
  | 'unavailable' // HA says unavailable / unknown
  | 'not_a_number'
  | 'bad_unit' // a unit that is not power (kWh, %, ...)
  | 'absurd'; // above the absurd limit (10 MW by default): refused

export interface TargetValue {
  /** W, or null: no figure (nothing mines) */
  watts: number | null;
  status: TargetStatus;
  /** in words, for the status page and the HA sensor's attribute, e.g. `sensor.p_deferrable0 reads 0.3 kW = 300 W` */
  state: string;
}

export interface TargetSettings {
  /** the entity read (for the words) */
  entity: string;
  /** the sensor counts the other way (e.g. a grid meter positive on import): multiply by -1 */
  inverted?: boolean;
  /** above this the reading is refused as absurd, W (default 10 MW) */
  absurdW?: number;
  /** the fleet's most watts: a higher target means the whole fleet (state says so) */
  fleetMaxW?: number | null;
}

/** 10 MW: no home sensor reads more; above it a reading is a fault (a unit mix-up, a spike). */
export const ABSURD_W = 10_000_000;

const UNIT_FACTOR: Record<string, number> = { w: 1, kw: 1000, mw: 1e6, gw: 1e9 };

/** W per unit of a power unit_of_measurement (`W`, `kW`, `MW`; `mW` is milliwatt), or undefined when it is not power. */
export function powerUnitFactor(unit: string): number | undefined {
  const u = unit.trim();
  if (u === 'mW') return 1e-3;
  return UNIT_FACTOR[u.toLowerCase()];
}

const fmt = (w: number) =>
  Math.abs(w) >= 1e6 ? `${Number((w / 1e6).toFixed(3))} MW` : Math.abs(w) >= 10_000 ? `${Number((w / 1000).toFixed(1))} kW` : `${Math.round(w)} W`;

type Signed = { fail: TargetValue } | { fail?: undefined; w: number; read: string };

/** The reading as signed W (the sign option applied), or why there is no figure. */
function readSigned(reading: TargetReading | null | undefined, settings: TargetSettings): Signed {
  const e = settings.entity;
  if (!reading) return { fail: { watts: null, status: 'missing', state: `${e} not found in Home Assistant: no figure, not mining` } };
  const raw = typeof reading.state === 'string' ? reading.state.trim() : String(reading.state ?? '');
  if (raw === '' || raw === 'unavailable' || raw === 'unknown' || raw === 'none' || raw === 'None')
    return { fail: { watts: null, status: 'unavailable', state: `${e} is ${raw || 'empty'}: no figure, not mining` } };
  const n = raw.length <= 64 ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n))
    return { fail: { watts: null, status: 'not_a_number', state: `${e} reads "${raw.slice(0, 40)}", not a number: no figure, not mining` } };
  const unitRaw = reading.attributes?.unit_of_measurement;
  const unit = typeof unitRaw === 'string' ? unitRaw : undefined;
  let factor = 1;
  let unitNote = '';
  if (unit === undefined || unit.trim() === '') unitNote = ' (no unit: read as W)';
  else {
    const f = powerUnitFactor(unit);
    if (f === undefined)
      return { fail: { watts: null, status: 'bad_unit', state: `${e} is in ${unit.slice(0, 20)}, not a power unit (W or kW): no figure, not mining` } };
    factor = f;
  }
  const w = n * factor * (settings.inverted ? -1 : 1);
  const read = `${e} reads ${raw}${unit ? ` ${unit}` : ''}${factor !== 1 ? ` = ${fmt(n * factor)}` : ''}${unitNote}${settings.inverted ? ', counted the other way' : ''}`;
  const absurd = settings.absurdW ?? ABSURD_W;
  if (Math.abs(w) > absurd)
    return { fail: { watts: null, status: 'absurd', state: `${read}: above ${fmt(absurd)}, refused as absurd: no figure, not mining` } };
  return { w, read };
}

function finish(w: number, words: string, max: number | null | undefined): TargetValue {
  if (w < 0) return { watts: 0, status: 'negative', state: `${words}: negative, target 0 W (nothing to spend)` };
  if (typeof max === 'number' && max >= 0 && w > max)
    return { watts: w, status: 'capped', state: `${words}: above the fleet's ${fmt(max)} maximum (the whole fleet can run)` };
  return { watts: w, status: 'ok', state: words };
}

/** One reading of a target sensor -> a target or no figure, with a state in words. */
export function parseTargetState(reading: TargetReading | null | undefined, settings: TargetSettings): TargetValue {
  const r = readSigned(reading, settings);
  if (r.fail) return r.fail;
  return finish(r.w, r.read, settings.fleetMaxW);
}

/** A surplus reading as a target: `target = surplus`. */
export interface SurplusSettings extends TargetSettings {
  /**
   * The sensor already has the miners' own draw taken off (a grid meter's export): their draw
   * (`miningW`, measured where it can be) is added back, or mining would chase its own tail.
   */
  includesMining?: boolean;
  /** the miners' draw now, W (with includesMining) */
  miningW?: number | null;
}

/** `surplus` mode: target = surplus (grid export, or solar minus load), with the sign option. */
export function surplusTarget(reading: TargetReading | null | undefined, settings: SurplusSettings): TargetValue {
  const r = readSigned(reading, settings);
  if (r.fail) return r.fail;
  if (!settings.includesMining) return finish(r.w, `surplus: ${r.read}`, settings.fleetMaxW);
  const m = settings.miningW;
  const mining = typeof m === 'number' && Number.isFinite(m) && m > 0 ? m : 0;
  return finish(r.w + mining, `surplus: ${r.read} + ${fmt(mining)} mining draw = ${fmt(r.w + mining)}`, settings.fleetMaxW);
}

/** What the follower remembers: the last figure and when it was read. */
export interface TargetTrack {
  lastW: number | null;
  lastAt: number;
  /** since when there has been no figure, ms (0: there is one) */
  missingSince: number;
}

/**
 * Follows a target over time: a figure passes as is; no figure keeps the last one for `holdS`
 * (a sensor that drops out for a few seconds does not switch the fleet off), then no figure.
 */
export function followTarget(prev: TargetTrack | null, value: TargetValue, now: number, holdS = 60): { value: TargetValue; track: TargetTrack } {
  if (value.watts !== null) return { value, track: { lastW: value.watts, lastAt: now, missingSince: 0 } };
  const missingSince = prev?.missingSince || now;
  const track: TargetTrack = { lastW: prev?.lastW ?? null, lastAt: prev?.lastAt ?? 0, missingSince };
  const gone = Math.floor((now - missingSince) / 1000);
  if (prev && prev.lastW !== null && now - missingSince < holdS * 1000)
    return {
      value: {
        watts: prev.lastW,
        status: 'held',
        state: `${value.state.replace(/: no figure, not mining$/, '')} for ${gone} s: last figure ${fmt(prev.lastW)} kept (up to ${holdS} s)`,
      },
      track,
    };
  return { value, track };
}

// Entity evaluation (pure): what one HA state says under its rule (idle, busy, unknown or
// nothing), with the power it reads, and since when an entity's verdict holds.
import type { EntityState } from './types.js';
import { DEFAULT_BUSY_STATES } from './rules.js';
import type { EntityEval, EntityRule, EntitySlot, Verdict, Warning } from './slots.js';

/** States that never say idle or busy. */
export const UNKNOWN_STATES = new Set(['unknown', 'unavailable', '', 'none', 'null']);
const MAX_STATE_LEN = 255;

/** `sensor.x` → `sensor`. */
export function domainOf(entityId: string): string {
  const i = entityId.indexOf('.');
  return i > 0 ? entityId.slice(0, i) : '';
}

/** A string attribute of a state, else undefined. */
export function attr(state: EntityState, key: string): string | undefined {
  const v = state.attributes?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** Watts per unit of a power sensor, or undefined when the unit is not one of power. */
export function powerFactor(unit: string | undefined): number | undefined {
  switch (unit) {
    case 'W':
      return 1;
    case 'kW':
      return 1000;
    case 'MW':
      return 1e6;
    case 'mW':
      return 1e-3;
    default:
      return undefined;
  }
}

function secondsFactor(unit: string | undefined): number | undefined {
  switch (unit) {
    case 's':
      return 1;
    case 'min':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return 86_400;
    case 'ms':
      return 1e-3;
    default:
      return undefined;
  }
}

/** A strict number parse (no '', no '12abc', no Infinity). */
export function parseNumber(s: string): number | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

function powerSensorOf(domain: string, state: EntityState): boolean {
  if (domain !== 'sensor') return false;
  const dc = attr(state, 'device_class');
  return dc === 'power' || (dc === undefined && powerFactor(attr(state, 'unit_of_measurement')) !== undefined);
}

function idleTimeSensorOf(domain: string, state: EntityState): boolean {
  if (domain !== 'sensor') return false;
  const named = /idle/i.test(state.entity_id) || /idle/i.test(attr(state, 'friendly_name') ?? '');
  return named && (attr(state, 'device_class') === 'duration' || secondsFactor(attr(state, 'unit_of_measurement')) !== undefined);
}

export function isPowerSensor(state: EntityState): boolean {
  return powerSensorOf(domainOf(state.entity_id), state);
}

export function isIdleTimeSensor(state: EntityState): boolean {
  return idleTimeSensorOf(domainOf(state.entity_id), state);
}

/** The verdict of one entity state under a rule (pure): forced, power, idle time, or by state. */
export function evaluateEntity(state: EntityState | undefined, rule: EntityRule, idleTimeSeconds: number): EntityEval {
  if (rule.force) return { verdict: rule.force, reason: `forced ${rule.force}` };
  if (!state) return { verdict: 'unknown', reason: 'no state yet' };
  const id = state.entity_id;
  const raw = typeof state.state === 'string' ? state.state : String(state.state);
  if (raw.length > MAX_STATE_LEN) return { verdict: 'unknown', reason: `${id}: state too long`, bad: `state longer than ${MAX_STATE_LEN} characters` };
  if (UNKNOWN_STATES.has(raw.toLowerCase())) return { verdict: 'unknown', reason: `${id}=${raw || 'empty'}` };
  const domain = domainOf(id);
  if (powerSensorOf(domain, state)) {
    const unit = attr(state, 'unit_of_measurement');
    const factor = powerFactor(unit);
    const n = parseNumber(raw);
    if (n === undefined) return { verdict: 'unknown', watts: null, reason: `${id}: non-numeric power`, bad: `non-numeric power state "${raw.slice(0, 40)}"` };
    if (factor === undefined)
      return {
        verdict: 'unknown',
        watts: null,
        reason: `${id}: power in unknown unit`,
        bad: `power sensor with unit ${JSON.stringify(unit ?? null)} (want W or kW)`,
      };
    const w = n * factor;
    const t = rule.powerThresholdW;
    return w < t ? { verdict: 'idle', watts: w, reason: `${id}=${w}W<${t}W` } : { verdict: 'busy', watts: w, reason: `${id}=${w}W>=${t}W` };
  }
  if (idleTimeSensorOf(domain, state)) {
    const n = parseNumber(raw);
    const f = secondsFactor(attr(state, 'unit_of_measurement')) ?? 1;
    if (n === undefined) return { verdict: 'unknown', reason: `${id}: non-numeric idle time`, bad: `non-numeric idle-time state "${raw.slice(0, 40)}"` };
    const s = n * f;
    return s >= idleTimeSeconds ? { verdict: 'idle', reason: `${id}=${s}s idle` } : { verdict: 'busy', reason: `${id}=${s}s idle<${idleTimeSeconds}s` };
  }
  const idle = rule.idleStates[domain];
  if (!idle) return { verdict: 'none', reason: `${id}: no rule for ${domain}` };
  const s = raw.toLowerCase();
  if (idle.includes(s) || idle.includes(raw)) return { verdict: 'idle', reason: `${id}=${raw}` };
  if (domain === 'sensor' && !(DEFAULT_BUSY_STATES.sensor ?? []).includes(s)) return { verdict: 'none', reason: `${id}=${raw}: not a status` };
  if (idle.length === 0) return { verdict: 'none', reason: `${id}: no idle states for ${domain}` };
  return { verdict: 'busy', reason: `${id}=${raw}` };
}

/**
 * Since when an entity's verdict holds after a new evaluation (pure): unchanged while the
 * verdict is; on first sight, HA's last_changed says how long the state has held already.
 */
export function verdictSince(prev: Verdict, next: Verdict, since: number, state: EntityState | undefined, now: number, initial: boolean): number {
  if (next === prev && !initial) return since;
  if (initial && state?.last_changed) {
    const t = Date.parse(state.last_changed);
    if (Number.isFinite(t) && t <= now) return t;
  }
  return now;
}

/** Evaluates a new state into an entity slot; returns the bad-input warning, if any. */
export function evaluateSlot(slot: EntitySlot, state: EntityState | undefined, idleTimeSeconds: number, now: number, initial: boolean): Warning | undefined {
  const next = evaluateEntity(state, slot.rule, idleTimeSeconds);
  slot.since = verdictSince(slot.verdict, next.verdict, slot.since, state, now, initial);
  slot.verdict = next.verdict;
  slot.watts = next.watts;
  slot.reason = next.reason;
  if (!next.bad) return undefined;
  return {
    key: `bad:${slot.id}:${next.bad}`,
    msg: `bad input from HA: ${next.bad}; the entity counts as unknown (never idle)`,
    fields: { entity: slot.id, device: slot.applianceId },
  };
}

// The verdict with hold (hysteresis): an appliance's power and raw verdict from its entities
// and the hub's load (pure), an idle verdict counted only once it has held for the hold time,
// and settle(), which applies both to an appliance slot and emits what changed.
import type { ApplianceEvent, ApplianceStatus, EntityState } from './types.js';
import { parseNumber, UNKNOWN_STATES } from './entity-eval.js';
import type { AppSlot, EntitySlot, HubLoad } from './slots.js';

/** What the entities and the hub load say now, before the hold. */
export interface RawVerdict {
  status: ApplianceStatus;
  reason: string;
  /** For an idle verdict: since when every part of it has said idle. */
  idleSince: number;
}

/** The verdict after the hold: what the appliance shows, and whether that is news. */
export interface HeldVerdict {
  status: ApplianceStatus;
  reason: string;
  /** The status changed (or was set for the first time): an event is due. */
  changed: boolean;
  /** An idle verdict waiting for its hold: when it will count, and since when it has held. */
  pendingUntil?: number;
  pendingSince?: number;
}

/** An appliance's entity lists and power after its entities' latest evaluations. */
export interface EntityLists {
  /** The power sensors (ids, in order); undefined when there are none. */
  powerEntities: string[] | undefined;
  /** The entities that have a say (verdict other than none), in order. */
  entities: string[];
  /** The sum of the power sensors, W: null unless every one reads a number; undefined: none. */
  watts: number | null | undefined;
}

const measures = (s: EntitySlot): boolean => s.watts !== undefined;
const votes = (s: EntitySlot): boolean => s.verdict !== 'none';
const idOf = (s: EntitySlot): string => s.id;

/**
 * The entity lists and power of an appliance (pure, one pass). A list that has not changed is
 * the current one itself, so a steady appliance allocates nothing.
 */
export function entityLists(entities: readonly EntitySlot[], currentPower: readonly string[], currentVoting: readonly string[]): EntityLists {
  let sum = 0;
  let all = true;
  let nPower = 0;
  let nVote = 0;
  let samePower = true;
  let sameVote = true;
  for (const s of entities) {
    const w = s.watts;
    if (w !== undefined) {
      if (samePower && (nPower >= currentPower.length || currentPower[nPower] !== s.id)) samePower = false;
      nPower++;
      if (typeof w === 'number') sum += w;
      else all = false;
    }
    if (s.verdict !== 'none') {
      if (sameVote && (nVote >= currentVoting.length || currentVoting[nVote] !== s.id)) sameVote = false;
      nVote++;
    }
  }
  return {
    powerEntities: nPower === 0 ? undefined : samePower && nPower === currentPower.length ? (currentPower as string[]) : entities.filter(measures).map(idOf),
    entities: sameVote && nVote === currentVoting.length ? (currentVoting as string[]) : entities.filter(votes).map(idOf),
    watts: nPower === 0 ? undefined : all ? sum : null,
  };
}

function hubReason(hub: HubLoad, maxLoadPercent: number, busy: boolean): string {
  return busy ? `hub CPU ${hub.percent}% > ${maxLoadPercent}%` : `hub CPU ${hub.percent}% <= ${maxLoadPercent}%`;
}

/** The raw verdict (pure): busy beats unknown beats idle; idle since the latest part turned idle. */
export function rawVerdict(slot: Pick<AppSlot, 'appliance' | 'entities' | 'force' | 'hubLoad'>, maxLoadPercent: number, now: number): RawVerdict {
  if (slot.force) {
    const a = slot.appliance;
    return { status: slot.force, reason: `forced ${slot.force} by configuration`, idleSince: a.status === 'idle' ? a.since : now };
  }
  let busy: EntitySlot | undefined;
  let unknown: EntitySlot | undefined;
  const idles: EntitySlot[] = [];
  for (const s of slot.entities) {
    const v = s.verdict;
    if (v === 'busy') busy ??= s;
    else if (v === 'unknown') unknown ??= s;
    else if (v === 'idle') idles.push(s);
  }
  const hub = slot.hubLoad;
  const hubUnknown = !!hub && hub.percent === null;
  const hubBusy = !!hub && hub.percent !== null && hub.percent > maxLoadPercent;
  if (busy || hubBusy) return { status: 'busy', reason: busy ? busy.reason : hubReason(hub!, maxLoadPercent, true), idleSince: 0 };
  if (unknown || hubUnknown) return { status: 'unknown', reason: unknown ? unknown.reason : 'no hub load reading', idleSince: 0 };
  if (idles.length > 0 || hub) {
    let idleSince = hub ? hub.since : 0;
    for (const s of idles) if (s.since > idleSince) idleSince = s.since;
    const reason = idles.map((s) => s.reason).join(', ') || hubReason(hub!, maxLoadPercent, false);
    return { status: 'idle', reason, idleSince };
  }
  return { status: 'unknown', reason: slot.entities.length === 0 ? 'no entities' : 'no entity says idle or busy', idleSince: 0 };
}

/**
 * The hold (pure): an idle verdict counts once it has held for holdMs; until then an appliance
 * that showed idle (or shows for the first time) shows busy with how long it has held. Any other
 * verdict counts at once.
 */
export function holdVerdict(current: ApplianceStatus, first: boolean, raw: RawVerdict, holdMs: number, now: number): HeldVerdict {
  if (raw.status !== 'idle') return { status: raw.status, reason: raw.reason, changed: current !== raw.status || first };
  const due = raw.idleSince + holdMs;
  if (due <= now) return { status: 'idle', reason: raw.reason, changed: current !== 'idle' || first };
  const why = `idle for ${Math.round((now - raw.idleSince) / 1000)} s of a ${Math.round(holdMs / 1000)} s hold (${raw.reason})`;
  const changed = first || current === 'idle';
  return { status: changed ? 'busy' : current, reason: why, changed, pendingUntil: due, pendingSince: raw.idleSince };
}

/** Recomputes one appliance's power and verdict and emits what changed. */
export function settle(slot: AppSlot, maxLoadPercent: number, now: number, events: ApplianceEvent[]): void {
  const a = slot.appliance;
  const lists = entityLists(slot.entities, a.powerEntities, a.entities);
  const watts = lists.watts;
  if (lists.powerEntities) {
    a.powerEntities = lists.powerEntities;
    if (watts !== null && watts !== undefined && watts !== a.watts) events.push({ type: 'power', applianceId: a.id, name: a.name, at: now, watts });
    a.watts = watts ?? null;
  }
  a.entities = lists.entities;

  const raw = rawVerdict(slot, maxLoadPercent, now);
  const first = !slot.initialised;
  slot.initialised = true;
  const held = holdVerdict(a.status, first, raw, slot.holdMs, now);
  slot.pendingUntil = held.pendingUntil;
  if (held.pendingSince !== undefined) slot.pendingSince = held.pendingSince;
  a.reason = held.reason;
  if (!held.changed) return;
  a.status = held.status;
  a.since = now;
  if (held.status === 'idle') events.push({ type: 'idle', applianceId: a.id, name: a.name, at: now, since: raw.idleSince, reason: held.reason });
  else events.push({ type: 'busy', applianceId: a.id, name: a.name, at: now, status: held.status, reason: held.reason });
}

// ---- the hub's load --------------------------------------------------------------------------

/** The hub load after a new reading (pure): `since` moves when it turns busy or not, or was unread. */
export function nextHubLoad(h: HubLoad, percent: number | null, maxLoadPercent: number, now: number): HubLoad {
  const wasBusy = h.percent === null || h.percent > maxLoadPercent;
  const isBusy = percent === null || percent > maxLoadPercent;
  return { percent, since: wasBusy !== isBusy || h.percent === null ? now : h.since };
}

/** A hub load sensor's state as a reading (null: none), and whether it was bad input. */
export function hubLoadReading(state: EntityState | undefined): { percent: number | null; bad: boolean } {
  const n = state ? parseNumber(state.state) : undefined;
  return { percent: n ?? null, bad: !!state && n === undefined && !UNKNOWN_STATES.has(state.state) };
}

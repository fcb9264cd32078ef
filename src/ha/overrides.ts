// Overrides (pure): which configured overrides apply to a device or one of its entities, and
// what they set (hold time, forced verdict, role, power threshold, idle states).
import type { ApplianceRole, DeviceEntry, EntityEntry, IdleOverride, IdleRules } from './types.js';
import { domainOf } from './entity-eval.js';
import type { EntityRule } from './slots.js';

/** Area and label names by id, for overrides that match by name. */
export interface RegistryNames {
  areas: Map<string, string>;
  labels: Map<string, string>;
}

/** What a device's overrides set for the whole appliance. */
export interface DeviceSettings {
  holdSeconds: number;
  force?: 'idle' | 'busy';
  role?: ApplianceRole | 'none';
}

/** The same name, ignoring case and surrounding blanks (both present). */
export function sameName(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

function hasLabel(labelIds: readonly string[] | undefined, label: string, names: RegistryNames): boolean {
  return !!labelIds && labelIds.some((l) => l === label || sameName(label, names.labels.get(l)));
}

/** Matching overrides for an entity of a device, weakest first (area, label, device, entity). */
export function overridesFor(
  overrides: readonly IdleOverride[],
  dev: DeviceEntry | undefined,
  ent: EntityEntry | undefined,
  names: RegistryNames,
): IdleOverride[] {
  if (overrides.length === 0) return [];
  const out: IdleOverride[][] = [[], [], [], []];
  const areaId = ent?.area_id ?? dev?.area_id ?? null;
  for (const o of overrides) {
    const m = o.match;
    if (m.area !== undefined && areaId && (m.area === areaId || sameName(m.area, names.areas.get(areaId)))) out[0].push(o);
    else if (m.label !== undefined && (hasLabel(dev?.labels, m.label, names) || hasLabel(ent?.labels, m.label, names))) out[1].push(o);
    else if (m.device !== undefined && dev && (m.device === dev.id || sameName(m.device, dev.name_by_user) || sameName(m.device, dev.name))) out[2].push(o);
    else if (m.entity !== undefined && ent && m.entity === ent.entity_id) out[3].push(o);
  }
  return out.flat();
}

/** A device's settings: the default hold time, then each override in turn (the strongest last). */
export function deviceSettings(devOverrides: readonly IdleOverride[], holdSeconds: number): DeviceSettings {
  const s: DeviceSettings = { holdSeconds };
  for (const o of devOverrides) {
    if (o.holdSeconds !== undefined) s.holdSeconds = o.holdSeconds;
    if (o.force) s.force = o.force;
    if (o.role) s.role = o.role;
  }
  return s;
}

/** The rule of one entity: the configured defaults, then its overrides. */
export function entityRule(rules: IdleRules, entityId: string, overrides: readonly IdleOverride[]): EntityRule {
  const rule: EntityRule = { idleStates: rules.idleStates, powerThresholdW: rules.powerThresholdW };
  for (const o of overrides) {
    if (o.powerThresholdW !== undefined) rule.powerThresholdW = o.powerThresholdW;
    if (o.idleStates) rule.idleStates = { ...rule.idleStates, [domainOf(entityId)]: o.idleStates };
    // An entity-level force applies to that entity only; device-level ones to the whole appliance.
    if (o.force && o.match.entity) rule.force = o.force;
  }
  return rule;
}

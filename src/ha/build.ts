// Building appliances: the registries, the states seen so far, the rules and the live workers
// go in; the appliance slots (carrying over what the previous build knew), the devices left out
// and the warnings come out. No I/O; `evidence` is the classifier's memory of status sensors.
import type {
  Appliance,
  ApplianceRole,
  DeviceEntry,
  EntityEntry,
  EntityState,
  IdleOverride,
  IdleRules,
  IgnoredDevice,
  RegistrySnapshot,
  WorkerMapping,
} from './types.js';
import { entityVotes, ignoredReason, type Evidence } from './appliance-rules.js';
import { evaluateSlot, parseNumber } from './entity-eval.js';
import { deviceSettings, entityRule, overridesFor, type DeviceSettings, type RegistryNames } from './overrides.js';
import { matchWorker, type WorkerMatch } from './worker-match.js';
import { nextHubLoad } from './verdict.js';
import { HUB, type AppSlot, type EntitySlot, type HubLoad, type Warning } from './slots.js';

export type EvidenceOf = (entityId: string, entry: EntityEntry | undefined, state: EntityState | undefined) => Evidence | null;

export interface BuildInput {
  snapshot: RegistrySnapshot;
  rules: IdleRules;
  liveWorkers: readonly WorkerMapping[];
  states: ReadonlyMap<string, EntityState>;
  /** The previous build's slots: status, hold and entity verdicts carry over. */
  old: ReadonlyMap<string, AppSlot>;
  evidence: EvidenceOf;
  now: number;
}

export interface BuildResult {
  apps: Map<string, AppSlot>;
  entitySlots: Map<string, EntitySlot>;
  /** Registry entries of enabled entities of devices, by entity id. */
  entries: Map<string, EntityEntry>;
  ignoredDevices: Map<string, IgnoredDevice>;
  /** Entities of left-out devices (a state of one may make its device an appliance). */
  ignoredEntities: Map<string, string>;
  /** In the order they arose; the classifier logs each key once. */
  warnings: Warning[];
}

interface Registry extends RegistryNames {
  byDevice: Map<string, EntityEntry[]>;
}

function badEntry(what: 'entity' | 'device', e: unknown): Warning {
  return {
    key: `bad-${what}:${JSON.stringify(e).slice(0, 80)}`,
    msg: `bad ${what} registry entry skipped`,
    fields: { entry: JSON.stringify(e).slice(0, 200) },
  };
}

/** Area and label names, and the enabled entities of each device (entries recorded in out). */
function indexRegistry(snap: RegistrySnapshot, out: BuildResult): Registry {
  const areas = new Map<string, string>();
  for (const a of snap.areas ?? []) if (a && typeof a.area_id === 'string') areas.set(a.area_id, typeof a.name === 'string' ? a.name : a.area_id);
  const labels = new Map<string, string>();
  for (const l of snap.labels ?? []) if (l && typeof l.label_id === 'string') labels.set(l.label_id, typeof l.name === 'string' ? l.name : l.label_id);
  const byDevice = new Map<string, EntityEntry[]>();
  for (const e of snap.entities ?? []) {
    if (!e || typeof e.entity_id !== 'string' || !e.entity_id.includes('.')) {
      out.warnings.push(badEntry('entity', e));
      continue;
    }
    if (!e.device_id || e.disabled_by) continue;
    out.entries.set(e.entity_id, e);
    const list = byDevice.get(e.device_id) ?? [];
    list.push(e);
    byDevice.set(e.device_id, list);
  }
  return { areas, labels, byDevice };
}

function deviceName(dev: DeviceEntry): string {
  return (typeof dev.name_by_user === 'string' && dev.name_by_user) || (typeof dev.name === 'string' && dev.name) || dev.id;
}

function areaName(dev: DeviceEntry, reg: Registry): string | null {
  return typeof dev.area_id === 'string' ? (reg.areas.get(dev.area_id) ?? null) : null;
}

/** A device's appliance slot before its entities: the registry facts, and what prev knew. */
function newSlot(dev: DeviceEntry, reg: Registry, settings: DeviceSettings, worker: WorkerMatch | undefined, input: BuildInput): AppSlot {
  const prev = input.old.get(dev.id);
  const slot: AppSlot = {
    appliance: {
      id: dev.id,
      name: deviceName(dev),
      areaId: typeof dev.area_id === 'string' ? dev.area_id : null,
      area: areaName(dev, reg),
      labels: Array.isArray(dev.labels) ? dev.labels.filter((l) => typeof l === 'string') : [],
      manufacturer: typeof dev.manufacturer === 'string' ? dev.manufacturer : null,
      model: typeof dev.model === 'string' ? dev.model : null,
      roles: [],
      entities: [],
      powerEntities: [],
      status: prev?.appliance.status ?? 'unknown',
      since: prev?.appliance.since ?? input.now,
      watts: prev?.appliance.watts ?? null,
      reason: prev?.appliance.reason ?? 'not classified yet',
    },
    entities: [],
    holdMs: settings.holdSeconds * 1000,
    force: settings.force,
    initialised: prev?.initialised ?? false,
    pendingUntil: undefined,
    pendingSince: prev?.pendingSince,
  };
  if (worker) {
    slot.appliance.workerId = worker.workerId;
    slot.appliance.workerMatchedBy = worker.by;
  }
  if (worker?.workerId === HUB) slot.hubLoad = prev?.hubLoad ?? input.old.get(HUB)?.hubLoad ?? { percent: null, since: input.now };
  return slot;
}

/** The entities that may count, each with its overrides: not diagnostic or config, not ignored, not the hub load or budget sensors. */
function usableEntities(dev: DeviceEntry, ents: EntityEntry[], reg: Registry, rules: IdleRules): { entries: EntityEntry[]; overrides: IdleOverride[][] } {
  const entries: EntityEntry[] = [];
  const overrides: IdleOverride[][] = [];
  for (const e of ents) {
    if (e.entity_category === 'diagnostic' || e.entity_category === 'config') continue;
    const ov = overridesFor(rules.overrides, dev, e, reg);
    if (ov.some((o) => o.ignore)) continue;
    if (e.entity_id === rules.hub.loadEntity || e.entity_id === rules.budget.surplusEntity || e.entity_id === rules.budget.priceEntity) continue;
    entries.push(e);
    overrides.push(ov);
  }
  return { entries, overrides };
}

/** Why a device is an appliance, in words a person reads. */
function whyAppliance(worker: WorkerMatch | undefined, role: DeviceSettings['role'], evidence: Evidence[]): string {
  if (worker) return worker.workerId === HUB ? 'the hub' : `a worker (${worker.workerId}, matched by ${worker.by})`;
  return role !== undefined && evidence.length === 0 ? `role ${role} set by an override` : evidence[0]!.why;
}

/** Roles: the override's, else worker and/or load. */
function rolesOf(role: DeviceSettings['role'], worker: WorkerMatch | undefined, hasEvidence: boolean): ApplianceRole[] {
  if (role === 'none') return [];
  if (role) return [role];
  const roles: ApplianceRole[] = [];
  if (worker) roles.push('worker');
  // Not a worker: it is here because it does work and draws power. A worker draws power
  // as a load too when it has a power sensor or a working entity of its own.
  if (!worker || hasEvidence) roles.push('load');
  return roles;
}

/** The voting entities of a device into its slot, each evaluated (or carried over from prev). */
function addEntitySlots(
  slot: AppSlot,
  dev: DeviceEntry,
  usable: ReturnType<typeof usableEntities>,
  isWorker: boolean,
  input: BuildInput,
  out: BuildResult,
): void {
  const { rules, states, now } = input;
  const prev = input.old.get(dev.id);
  for (let i = 0; i < usable.entries.length; i++) {
    const e = usable.entries[i]!;
    const ov = usable.overrides[i]!;
    if (!entityVotes(e.entity_id, e, states.get(e.entity_id), { includeLights: !!rules.includeLights, worker: isWorker })) continue;
    const prevSlot = prev?.entities.find((s) => s.id === e.entity_id);
    const es: EntitySlot = {
      id: e.entity_id,
      applianceId: dev.id,
      rule: entityRule(rules, e.entity_id, ov),
      verdict: prevSlot ? prevSlot.verdict : 'unknown',
      watts: prevSlot?.watts,
      reason: prevSlot ? prevSlot.reason : 'no state yet',
      since: prevSlot?.since ?? now,
    };
    const st = states.get(e.entity_id);
    if (!prevSlot || st) {
      const w = evaluateSlot(es, st, rules.idleTimeSeconds, now, !prevSlot);
      if (w) out.warnings.push(w);
    }
    slot.entities.push(es);
    out.entitySlots.set(e.entity_id, es);
  }
  slot.appliance.entities = slot.entities.filter((s) => s.verdict !== 'none').map((s) => s.id);
  slot.appliance.powerEntities = slot.entities.filter((s) => s.watts !== undefined).map((s) => s.id);
}

/** One device: its appliance slot, or undefined when it is ignored or left out (recorded in out). */
function buildDevice(dev: DeviceEntry, reg: Registry, input: BuildInput, out: BuildResult): AppSlot | undefined {
  const { rules, states } = input;
  const devOverrides = overridesFor(rules.overrides, dev, undefined, reg);
  if (devOverrides.some((o) => o.ignore)) return undefined;
  const worker = matchWorker(dev, rules, input.liveWorkers);
  const ents = reg.byDevice.get(dev.id) ?? [];
  const settings = deviceSettings(devOverrides, rules.holdSeconds);
  const name = deviceName(dev);
  const slot = newSlot(dev, reg, settings, worker, input);
  const usable = usableEntities(dev, ents, reg, rules);
  // Is it an appliance at all? Workers and devices given a role by an override always are.
  const evidence = usable.entries.map((e) => input.evidence(e.entity_id, e, states.get(e.entity_id))).filter((x) => x !== null);
  if (!worker && settings.role === undefined && evidence.length === 0) {
    out.ignoredDevices.set(dev.id, { id: dev.id, name, area: areaName(dev, reg), reason: ignoredReason(usable.entries.map((e) => e.entity_id)) });
    for (const e of usable.entries) out.ignoredEntities.set(e.entity_id, dev.id);
    if (ents.length === 0)
      out.warnings.push({ key: `noentities:${dev.id}`, msg: 'device has no entities; it is not an appliance', fields: { device: dev.id, name } });
    return undefined;
  }
  slot.appliance.why = whyAppliance(worker, settings.role, evidence);
  addEntitySlots(slot, dev, usable, !!worker, input, out);
  slot.appliance.roles = rolesOf(settings.role, worker, evidence.length > 0);
  if (usable.entries.length === 0) {
    out.warnings.push({ key: `noentities:${dev.id}`, msg: 'device has no entities; it is listed but never counts as idle', fields: { device: dev.id, name } });
  }
  return slot;
}

function firstHubLoad(apps: ReadonlyMap<string, AppSlot>): HubLoad | undefined {
  for (const a of apps.values()) if (a.hubLoad) return a.hubLoad;
  return undefined;
}

/** The hub's own appliance when no HA device is linked to it. */
function deviceLessHub(input: BuildInput): AppSlot {
  const prev = input.old.get(HUB);
  const appliance: Appliance = prev?.appliance ?? {
    id: HUB,
    name: 'Hub',
    areaId: null,
    area: null,
    labels: [],
    manufacturer: null,
    model: null,
    roles: ['worker'],
    workerId: HUB,
    workerMatchedBy: 'hub',
    entities: [],
    powerEntities: [],
    status: 'unknown',
    since: input.now,
    watts: null,
    reason: 'no hub load reading yet',
    why: 'the hub',
  };
  return {
    appliance,
    entities: [],
    holdMs: input.rules.holdSeconds * 1000,
    initialised: prev?.initialised ?? false,
    pendingSince: prev?.pendingSince,
    hubLoad: prev?.hubLoad ?? firstHubLoad(input.old) ?? { percent: null, since: input.now },
  };
}

/** The hub load sensor's current state, when configured and the hub has no reading yet. */
function seedHubLoad(apps: ReadonlyMap<string, AppSlot>, input: BuildInput): void {
  const entity = input.rules.hub.loadEntity;
  if (!entity) return;
  const st = input.states.get(entity);
  const hub = [...apps.values()].find((a) => a.hubLoad);
  if (st && hub?.hubLoad && hub.hubLoad.percent === null)
    hub.hubLoad = nextHubLoad(hub.hubLoad, parseNumber(st.state) ?? null, input.rules.hub.maxLoadPercent, input.now);
}

/**
 * All appliances from the registries (pure but for the evidence memory). The previous slots are
 * spent: the device-less hub keeps its appliance object.
 */
export function buildAppliances(input: BuildInput): BuildResult {
  const out: BuildResult = { apps: new Map(), entitySlots: new Map(), entries: new Map(), ignoredDevices: new Map(), ignoredEntities: new Map(), warnings: [] };
  const reg = indexRegistry(input.snapshot, out);
  const seen = new Set<string>();
  let hubMapped = false;
  for (const dev of input.snapshot.devices ?? []) {
    if (!dev || typeof dev.id !== 'string') {
      out.warnings.push(badEntry('device', dev));
      continue;
    }
    if (dev.disabled_by || dev.entry_type === 'service' || seen.has(dev.id)) continue;
    seen.add(dev.id);
    const slot = buildDevice(dev, reg, input, out);
    if (!slot) continue;
    if (slot.appliance.workerId === HUB) hubMapped = true;
    out.apps.set(dev.id, slot);
  }
  if (!hubMapped) out.apps.set(HUB, deviceLessHub(input));
  seedHubLoad(out.apps, input);
  return out;
}

// The idle classifier: pure (no I/O, time passed in). Registries and states go in, appliance
// events come out. The adapter (service.ts) feeds it from HA and runs a timer for nextDeadline().
import type {
  Appliance,
  ApplianceEvent,
  ApplianceRole,
  ApplianceStatus,
  DeviceEntry,
  EntityEntry,
  EntityState,
  IdleOverride,
  IdleRules,
  IgnoredDevice,
  PowerBudget,
  RegistrySnapshot,
  WorkerMapping,
} from './types.js';
import { DEFAULT_BUSY_STATES } from './rules.js';
import { applianceEvidence, entityVotes, ignoredReason, type Evidence } from './appliance-rules.js';

export type Warn = (msg: string, fields: Record<string, unknown>) => void;

type Verdict = 'idle' | 'busy' | 'unknown' | 'none';

/** The rules that apply to one entity after overrides. */
interface EntityRule {
  idleStates: Record<string, string[]>;
  powerThresholdW: number;
  force?: 'idle' | 'busy';
}

interface EntityEval {
  verdict: Verdict;
  /** W for a power sensor with a numeric state, else null; undefined for non-power entities. */
  watts?: number | null;
  reason: string;
  /** A bad-input description (logged once). */
  bad?: string;
}

interface EntitySlot {
  id: string;
  applianceId: string;
  rule: EntityRule;
  eval: EntityEval;
  /** When the current verdict began. */
  since: number;
}

interface AppSlot {
  appliance: Appliance;
  entities: EntitySlot[];
  holdMs: number;
  force?: 'idle' | 'busy';
  /** Idle verdict waiting for the hold time: when it will count. */
  pendingUntil?: number;
  pendingSince?: number;
  initialised: boolean;
  hubLoad?: { percent: number | null; since: number };
}

const HUB = 'hub';
const UNKNOWN_STATES = new Set(['unknown', 'unavailable', '', 'none', 'null']);
const MAX_STATE_LEN = 255;

/** `sensor.x` → `sensor`. */
export function domainOf(entityId: string): string {
  const i = entityId.indexOf('.');
  return i > 0 ? entityId.slice(0, i) : '';
}

function attr(state: EntityState, key: string): string | undefined {
  const v = state.attributes?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** Watts per unit of a power sensor, or undefined when the unit is not one of power. */
function powerFactor(unit: string | undefined): number | undefined {
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

export function isPowerSensor(state: EntityState): boolean {
  if (domainOf(state.entity_id) !== 'sensor') return false;
  const dc = attr(state, 'device_class');
  return dc === 'power' || (dc === undefined && powerFactor(attr(state, 'unit_of_measurement')) !== undefined);
}

export function isIdleTimeSensor(state: EntityState): boolean {
  if (domainOf(state.entity_id) !== 'sensor') return false;
  const named = /idle/i.test(state.entity_id) || /idle/i.test(attr(state, 'friendly_name') ?? '');
  return named && (attr(state, 'device_class') === 'duration' || secondsFactor(attr(state, 'unit_of_measurement')) !== undefined);
}

/** The verdict of one entity state under a rule (pure). */
export function evaluateEntity(state: EntityState | undefined, rule: EntityRule, idleTimeSeconds: number): EntityEval {
  if (rule.force) return { verdict: rule.force, reason: `forced ${rule.force}` };
  if (!state) return { verdict: 'unknown', reason: 'no state yet' };
  const id = state.entity_id;
  const raw = typeof state.state === 'string' ? state.state : String(state.state);
  if (raw.length > MAX_STATE_LEN) return { verdict: 'unknown', reason: `${id}: state too long`, bad: `state longer than ${MAX_STATE_LEN} characters` };
  if (UNKNOWN_STATES.has(raw.toLowerCase())) return { verdict: 'unknown', reason: `${id}=${raw || 'empty'}` };
  const domain = domainOf(id);
  if (isPowerSensor(state)) {
    const unit = attr(state, 'unit_of_measurement');
    const factor = powerFactor(unit);
    const n = parseNumber(raw);
    if (n === undefined) return { verdict: 'unknown', watts: null, reason: `${id}: non-numeric power`, bad: `non-numeric power state "${raw.slice(0, 40)}"` };
    if (factor === undefined) return { verdict: 'unknown', watts: null, reason: `${id}: power in unknown unit`, bad: `power sensor with unit ${JSON.stringify(unit ?? null)} (want W or kW)` };
    const w = n * factor;
    const t = rule.powerThresholdW;
    return w < t ? { verdict: 'idle', watts: w, reason: `${id}=${w}W<${t}W` } : { verdict: 'busy', watts: w, reason: `${id}=${w}W>=${t}W` };
  }
  if (isIdleTimeSensor(state)) {
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
  if (domain === 'sensor' && !(DEFAULT_BUSY_STATES.sensor ?? []).includes(s)) {
    return { verdict: 'none', reason: `${id}=${raw}: not a status` };
  }
  if (idle.length === 0) return { verdict: 'none', reason: `${id}: no idle states for ${domain}` };
  return { verdict: 'busy', reason: `${id}=${raw}` };
}

function normMac(mac: string): string {
  return mac.toLowerCase().replace(/[^0-9a-f]/g, '');
}

function hostOf(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function sameName(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
}

export interface ClassifierOptions {
  warn?: Warn;
}

export class IdleClassifier {
  private states = new Map<string, EntityState>();
  private apps = new Map<string, AppSlot>();
  /** Devices left out of the appliance set, and the entities that could change that. */
  private ignoredDevices = new Map<string, IgnoredDevice>();
  private ignoredEntities = new Map<string, string>();
  private entitySlots = new Map<string, EntitySlot>();
  private snapshot: RegistrySnapshot = { devices: [], entities: [], areas: [], labels: [] };
  private liveWorkers: WorkerMapping[] = [];
  private warned = new Set<string>();
  private budgetValue: PowerBudget;
  private readonly warn: Warn;

  constructor(
    readonly rules: IdleRules,
    opts: ClassifierOptions = {},
  ) {
    this.warn = opts.warn ?? (() => undefined);
    this.budgetValue = { surplusW: null, staticW: rules.budget.staticWatts ?? null, price: null, priceUnit: null };
  }

  // ---- reading -----------------------------------------------------------------------------

  appliances(): Appliance[] {
    return [...this.apps.values()].map((a) => ({ ...a.appliance, roles: [...a.appliance.roles], entities: [...a.appliance.entities] }));
  }

  /** Devices that are not appliances (no power sensor, working entity or status sensor). */
  ignored(): IgnoredDevice[] {
    return [...this.ignoredDevices.values()].map((d) => ({ ...d }));
  }

  appliance(id: string): Appliance | undefined {
    const a = this.apps.get(id)?.appliance;
    return a && { ...a };
  }

  budget(): PowerBudget {
    return { ...this.budgetValue };
  }

  /** The earliest time at which tick() has something to do, if any. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const a of this.apps.values()) if (a.pendingUntil !== undefined && (min === undefined || a.pendingUntil < min)) min = a.pendingUntil;
    return min;
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** New registries: rebuilds the appliance set; appliances that vanished are `gone`. */
  setRegistries(snap: RegistrySnapshot, now: number): ApplianceEvent[] {
    this.snapshot = snap;
    return this.rebuild(now);
  }

  /** Live workers (e.g. Stratum clients with their name/IP/MAC), merged with the configured mapping. */
  setWorkers(workers: WorkerMapping[], now: number): ApplianceEvent[] {
    this.liveWorkers = workers;
    return this.rebuild(now);
  }

  /** Many states at once (after get_states). */
  setStates(states: EntityState[], now: number): ApplianceEvent[] {
    const touched = new Set<string>();
    const events: ApplianceEvent[] = [];
    for (const s of states) {
      if (!s || typeof s.entity_id !== 'string') continue;
      this.states.set(s.entity_id, s);
      this.budgetInput(s.entity_id, s);
      const slot = this.entitySlots.get(s.entity_id);
      if (slot) {
        this.evalSlot(slot, s, now, true);
        touched.add(slot.applianceId);
      }
      this.hubInput(s.entity_id, s, now, touched);
    }
    const b = this.budgetChanged(now);
    if (b) events.push(b);
    for (const id of touched) this.settle(id, now, events);
    return events;
  }

  /** One state_changed (null new state = entity removed). */
  updateState(entityId: string, state: EntityState | null, now: number): ApplianceEvent[] {
    const events: ApplianceEvent[] = [];
    if (state) this.states.set(entityId, state);
    else this.states.delete(entityId);
    // A state can make a left-out device an appliance (e.g. a status sensor's first state).
    if (state && this.ignoredEntities.has(entityId) && this.evidence(entityId, this.entryOf(entityId), state)) {
      events.push(...this.rebuild(now));
    }
    if (this.budgetInput(entityId, state ?? undefined)) {
      const b = this.budgetChanged(now);
      if (b) events.push(b);
    }
    const touched = new Set<string>();
    const slot = this.entitySlots.get(entityId);
    if (slot) {
      this.evalSlot(slot, state ?? undefined, now, false);
      touched.add(slot.applianceId);
    }
    this.hubInput(entityId, state ?? undefined, now, touched);
    for (const id of touched) this.settle(id, now, events);
    return events;
  }

  /** CPU use of the hub by everything but the miner, in %. */
  hubLoad(percent: number, now: number): ApplianceEvent[] {
    const events: ApplianceEvent[] = [];
    const hub = this.hubSlot();
    if (!hub) return events;
    this.setHubLoad(hub, Number.isFinite(percent) ? percent : null, now);
    this.settle(hub.appliance.id, now, events);
    return events;
  }

  /** Idle verdicts whose hold time has passed. */
  tick(now: number): ApplianceEvent[] {
    const events: ApplianceEvent[] = [];
    for (const a of this.apps.values()) if (a.pendingUntil !== undefined && a.pendingUntil <= now) this.settle(a.appliance.id, now, events);
    return events;
  }

  // ---- internals ---------------------------------------------------------------------------

  private warnOnce(key: string, msg: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    if (this.warned.size > 10_000) this.warned.clear();
    this.warned.add(key);
    this.warn(msg, fields);
  }

  private hubSlot(): AppSlot | undefined {
    for (const a of this.apps.values()) if (a.hubLoad) return a;
    return undefined;
  }

  private setHubLoad(hub: AppSlot, percent: number | null, now: number): void {
    const h = hub.hubLoad!;
    const wasBusy = h.percent === null || h.percent > this.rules.hub.maxLoadPercent;
    const isBusy = percent === null || percent > this.rules.hub.maxLoadPercent;
    if (wasBusy !== isBusy || h.percent === null) h.since = now;
    h.percent = percent;
  }

  private hubInput(entityId: string, state: EntityState | undefined, now: number, touched: Set<string>): void {
    if (!this.rules.hub.loadEntity || entityId !== this.rules.hub.loadEntity) return;
    const hub = this.hubSlot();
    if (!hub) return;
    const n = state ? parseNumber(state.state) : undefined;
    if (state && n === undefined && !UNKNOWN_STATES.has(state.state)) {
      this.warnOnce(`hubload:${entityId}`, 'hub load sensor has a non-numeric state; the hub counts as busy', { entity: entityId, state: String(state.state).slice(0, 40) });
    }
    this.setHubLoad(hub, n ?? null, now);
    touched.add(hub.appliance.id);
  }

  /** Reads a budget sensor; true when it was one. */
  private budgetInput(entityId: string, state: EntityState | undefined): boolean {
    const b = this.rules.budget;
    if (entityId === b.surplusEntity) {
      const n = state ? parseNumber(state.state) : undefined;
      const unit = state ? attr(state, 'unit_of_measurement') : undefined;
      const f = powerFactor(unit);
      if (state && n !== undefined && f === undefined) {
        this.warnOnce(`budget-unit:${entityId}`, 'surplus sensor has no power unit (W or kW); ignored', { entity: entityId, unit: unit ?? null });
      }
      const w = n === undefined || f === undefined ? null : n * f * (b.surplusInverted ? -1 : 1);
      this.pendingBudget = { ...(this.pendingBudget ?? this.budgetValue), surplusW: w };
      return true;
    }
    if (entityId === b.priceEntity) {
      const n = state ? parseNumber(state.state) : undefined;
      this.pendingBudget = { ...(this.pendingBudget ?? this.budgetValue), price: n ?? null, priceUnit: (state && attr(state, 'unit_of_measurement')) ?? null };
      return true;
    }
    return false;
  }

  private pendingBudget?: PowerBudget;

  private budgetChanged(now: number): ApplianceEvent | undefined {
    const p = this.pendingBudget;
    this.pendingBudget = undefined;
    if (!p) return undefined;
    const o = this.budgetValue;
    if (p.surplusW === o.surplusW && p.price === o.price && p.priceUnit === o.priceUnit && p.staticW === o.staticW) return undefined;
    this.budgetValue = p;
    return { type: 'budget', at: now, budget: { ...p } };
  }

  private evalSlot(slot: EntitySlot, state: EntityState | undefined, now: number, initial: boolean): void {
    const prev = slot.eval;
    const next = evaluateEntity(state, slot.rule, this.rules.idleTimeSeconds);
    if (next.bad) {
      this.warnOnce(`bad:${slot.id}:${next.bad}`, `bad input from HA: ${next.bad}; the entity counts as unknown (never idle)`, { entity: slot.id, device: slot.applianceId });
    }
    slot.eval = next;
    if (next.verdict !== prev.verdict || initial) {
      // On first sight, HA's last_changed says how long the state has held already.
      let since = now;
      if (initial && state?.last_changed) {
        const t = Date.parse(state.last_changed);
        if (Number.isFinite(t) && t <= now) since = t;
      }
      if (next.verdict !== prev.verdict || initial) slot.since = since;
    }
  }

  /** Matching overrides for an entity of a device, weakest first (area, label, device, entity). */
  private overridesFor(dev: DeviceEntry | undefined, ent: EntityEntry | undefined, names: { areas: Map<string, string>; labels: Map<string, string> }): IdleOverride[] {
    const out: IdleOverride[][] = [[], [], [], []];
    const areaId = ent?.area_id ?? dev?.area_id ?? null;
    const labelIds = new Set([...(dev?.labels ?? []), ...(ent?.labels ?? [])]);
    for (const o of this.rules.overrides) {
      const m = o.match;
      if (m.area !== undefined && areaId && (m.area === areaId || sameName(m.area, names.areas.get(areaId)))) out[0].push(o);
      else if (m.label !== undefined && [...labelIds].some((l) => l === m.label || sameName(m.label, names.labels.get(l)))) out[1].push(o);
      else if (m.device !== undefined && dev && (m.device === dev.id || sameName(m.device, dev.name_by_user) || sameName(m.device, dev.name))) out[2].push(o);
      else if (m.entity !== undefined && ent && m.entity === ent.entity_id) out[3].push(o);
    }
    return out.flat();
  }

  private workerFor(dev: DeviceEntry): { workerId: string; by: NonNullable<Appliance['workerMatchedBy']> } | undefined {
    if (this.rules.hub.deviceId && dev.id === this.rules.hub.deviceId) return { workerId: HUB, by: 'hub' };
    const all = [...this.rules.workers, ...this.liveWorkers];
    for (const w of all) if (w.deviceId && w.deviceId === dev.id) return { workerId: w.workerId, by: 'mapping' };
    const macs = new Set((dev.connections ?? []).filter((c) => Array.isArray(c) && c[0] === 'mac' && typeof c[1] === 'string').map((c) => normMac(c[1])));
    for (const w of all) if (w.mac && macs.has(normMac(w.mac))) return { workerId: w.workerId, by: 'mac' };
    const ips = new Set((dev.connections ?? []).filter((c) => Array.isArray(c) && (c[0] === 'ip' || c[0] === 'ipv4' || c[0] === 'ipv6')).map((c) => String(c[1])));
    const h = hostOf(dev.configuration_url);
    if (h) ips.add(h);
    for (const w of all) if (w.ip && ips.has(w.ip)) return { workerId: w.workerId, by: 'ip' };
    for (const w of all) if (w.name && (sameName(w.name, dev.name_by_user) || sameName(w.name, dev.name))) return { workerId: w.workerId, by: 'name' };
    return undefined;
  }

  private evidenceOpts() {
    return { includeLights: !!this.rules.includeLights };
  }

  private entryOf(entityId: string): EntityEntry | undefined {
    return this.entries.get(entityId);
  }

  private entries = new Map<string, EntityEntry>();

  /**
   * Entities once seen with appliance evidence that rests on their state (a status sensor): a
   * restart of HA or of the device shows `unknown` for a while, which must not drop the appliance.
   */
  private stateEvidence = new Map<string, Evidence>();

  private evidence(entityId: string, entry: EntityEntry | undefined, state: EntityState | undefined): Evidence | null {
    const ev = applianceEvidence(entityId, entry, state, this.evidenceOpts());
    if (ev?.kind === 'status') {
      if (this.stateEvidence.size > 50_000) this.stateEvidence.clear();
      this.stateEvidence.set(entityId, ev);
    }
    return ev ?? this.stateEvidence.get(entityId) ?? null;
  }

  private rebuild(now: number): ApplianceEvent[] {
    const events: ApplianceEvent[] = [];
    const snap = this.snapshot;
    this.entries = new Map();
    this.ignoredDevices = new Map();
    this.ignoredEntities = new Map();
    const areas = new Map<string, string>();
    for (const a of snap.areas ?? []) if (a && typeof a.area_id === 'string') areas.set(a.area_id, typeof a.name === 'string' ? a.name : a.area_id);
    const labels = new Map<string, string>();
    for (const l of snap.labels ?? []) if (l && typeof l.label_id === 'string') labels.set(l.label_id, typeof l.name === 'string' ? l.name : l.label_id);
    const names = { areas, labels };

    const byDevice = new Map<string, EntityEntry[]>();
    for (const e of snap.entities ?? []) {
      if (!e || typeof e.entity_id !== 'string' || !e.entity_id.includes('.')) {
        this.warnOnce(`bad-entity:${JSON.stringify(e).slice(0, 80)}`, 'bad entity registry entry skipped', { entry: JSON.stringify(e).slice(0, 200) });
        continue;
      }
      if (!e.device_id || e.disabled_by) continue;
      this.entries.set(e.entity_id, e);
      const list = byDevice.get(e.device_id) ?? [];
      list.push(e);
      byDevice.set(e.device_id, list);
    }

    const old = this.apps;
    this.apps = new Map();
    this.entitySlots = new Map();
    const seen = new Set<string>();
    let hubMapped = false;

    for (const dev of snap.devices ?? []) {
      if (!dev || typeof dev.id !== 'string') {
        this.warnOnce(`bad-device:${JSON.stringify(dev).slice(0, 80)}`, 'bad device registry entry skipped', { entry: JSON.stringify(dev).slice(0, 200) });
        continue;
      }
      if (dev.disabled_by || dev.entry_type === 'service' || seen.has(dev.id)) continue;
      seen.add(dev.id);
      const devOverrides = this.overridesFor(dev, undefined, names);
      if (devOverrides.some((o) => o.ignore)) continue;
      const worker = this.workerFor(dev);
      if (worker?.workerId === HUB) hubMapped = true;
      const ents = byDevice.get(dev.id) ?? [];
      let holdSeconds = this.rules.holdSeconds;
      let force: 'idle' | 'busy' | undefined;
      let role: ApplianceRole | 'none' | undefined;
      for (const o of devOverrides) {
        if (o.holdSeconds !== undefined) holdSeconds = o.holdSeconds;
        if (o.force) force = o.force;
        if (o.role) role = o.role;
      }
      const name = (typeof dev.name_by_user === 'string' && dev.name_by_user) || (typeof dev.name === 'string' && dev.name) || dev.id;
      const prev = old.get(dev.id);
      const slot: AppSlot = {
        appliance: {
          id: dev.id,
          name,
          areaId: typeof dev.area_id === 'string' ? dev.area_id : null,
          area: typeof dev.area_id === 'string' ? (areas.get(dev.area_id) ?? null) : null,
          labels: Array.isArray(dev.labels) ? dev.labels.filter((l) => typeof l === 'string') : [],
          manufacturer: typeof dev.manufacturer === 'string' ? dev.manufacturer : null,
          model: typeof dev.model === 'string' ? dev.model : null,
          roles: [],
          entities: [],
          powerEntities: [],
          status: prev?.appliance.status ?? 'unknown',
          since: prev?.appliance.since ?? now,
          watts: prev?.appliance.watts ?? null,
          reason: prev?.appliance.reason ?? 'not classified yet',
        },
        entities: [],
        holdMs: holdSeconds * 1000,
        force,
        initialised: prev?.initialised ?? false,
        pendingUntil: undefined,
        pendingSince: prev?.pendingSince,
      };
      if (worker) {
        slot.appliance.workerId = worker.workerId;
        slot.appliance.workerMatchedBy = worker.by;
      }
      if (worker?.workerId === HUB) slot.hubLoad = prev?.hubLoad ?? old.get(HUB)?.hubLoad ?? { percent: null, since: now };
      const usable = ents.filter((e) => {
        if (e.entity_category === 'diagnostic' || e.entity_category === 'config') return false;
        if (this.overridesFor(dev, e, names).some((o) => o.ignore)) return false;
        return !(e.entity_id === this.rules.hub.loadEntity || e.entity_id === this.rules.budget.surplusEntity || e.entity_id === this.rules.budget.priceEntity);
      });
      // Is it an appliance at all? Workers and devices given a role by an override always are.
      const evidence = usable.map((e) => this.evidence(e.entity_id, e, this.states.get(e.entity_id))).filter((x) => x !== null);
      if (!worker && role === undefined && evidence.length === 0) {
        this.ignoredDevices.set(dev.id, {
          id: dev.id,
          name,
          area: typeof dev.area_id === 'string' ? (areas.get(dev.area_id) ?? null) : null,
          reason: ignoredReason(usable.map((e) => e.entity_id)),
        });
        for (const e of usable) this.ignoredEntities.set(e.entity_id, dev.id);
        if (ents.length === 0) this.warnOnce(`noentities:${dev.id}`, 'device has no entities; it is not an appliance', { device: dev.id, name });
        continue;
      }
      slot.appliance.why = worker
        ? worker.workerId === HUB
          ? 'the hub'
          : `a worker (${worker.workerId}, matched by ${worker.by})`
        : role !== undefined && evidence.length === 0
          ? `role ${role} set by an override`
          : evidence[0]!.why;
      for (const e of usable) {
        const ov = this.overridesFor(dev, e, names);
        if (!entityVotes(e.entity_id, e, this.states.get(e.entity_id), { ...this.evidenceOpts(), worker: !!worker })) continue;
        const rule: EntityRule = { idleStates: this.rules.idleStates, powerThresholdW: this.rules.powerThresholdW };
        for (const o of ov) {
          if (o.powerThresholdW !== undefined) rule.powerThresholdW = o.powerThresholdW;
          if (o.idleStates) rule.idleStates = { ...rule.idleStates, [domainOf(e.entity_id)]: o.idleStates };
          // An entity-level force applies to that entity only; device-level ones to the whole appliance.
          if (o.force && o.match.entity) rule.force = o.force;
        }
        const prevSlot = prev?.entities.find((s) => s.id === e.entity_id);
        const es: EntitySlot = { id: e.entity_id, applianceId: dev.id, rule, eval: prevSlot?.eval ?? { verdict: 'unknown', reason: 'no state yet' }, since: prevSlot?.since ?? now };
        const st = this.states.get(e.entity_id);
        if (!prevSlot || st) this.evalSlot(es, st, now, !prevSlot);
        slot.entities.push(es);
        this.entitySlots.set(e.entity_id, es);
      }
      this.refreshLists(slot);
      if (role === 'none') slot.appliance.roles = [];
      else if (role) slot.appliance.roles = [role];
      else {
        const roles: ApplianceRole[] = [];
        if (worker) roles.push('worker');
        // Not a worker: it is here because it does work and draws power. A worker draws power
        // as a load too when it has a power sensor or a working entity of its own.
        if (!worker || evidence.length > 0) roles.push('load');
        slot.appliance.roles = roles;
      }
      if (usable.length === 0) {
        this.warnOnce(`noentities:${dev.id}`, 'device has no entities; it is listed but never counts as idle', { device: dev.id, name });
      }
      this.apps.set(dev.id, slot);
    }

    if (!hubMapped) {
      const prev = old.get(HUB);
      this.apps.set(HUB, {
        appliance: prev?.appliance ?? {
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
          since: now,
          watts: null,
          reason: 'no hub load reading yet',
          why: 'the hub',
        },
        entities: [],
        holdMs: this.rules.holdSeconds * 1000,
        initialised: prev?.initialised ?? false,
        pendingSince: prev?.pendingSince,
        hubLoad: prev?.hubLoad ?? this.findHubLoad(old) ?? { percent: null, since: now },
      });
    }
    // The hub load sensor's current state, when configured.
    if (this.rules.hub.loadEntity) {
      const st = this.states.get(this.rules.hub.loadEntity);
      const hub = this.hubSlot();
      if (st && hub && hub.hubLoad?.percent === null) this.setHubLoad(hub, parseNumber(st.state) ?? null, now);
    }

    for (const [id, a] of old) if (!this.apps.has(id)) events.push({ type: 'gone', applianceId: id, name: a.appliance.name, at: now });
    for (const id of this.apps.keys()) this.settle(id, now, events);
    return events;
  }

  private findHubLoad(apps: Map<string, AppSlot>): AppSlot['hubLoad'] {
    for (const a of apps.values()) if (a.hubLoad) return a.hubLoad;
    return undefined;
  }

  private refreshLists(slot: AppSlot): void {
    slot.appliance.entities = slot.entities.filter((s) => s.eval.verdict !== 'none').map((s) => s.id);
    slot.appliance.powerEntities = slot.entities.filter((s) => s.eval.watts !== undefined).map((s) => s.id);
  }

  /** Recomputes one appliance's verdict and emits what changed. */
  private settle(id: string, now: number, events: ApplianceEvent[]): void {
    const slot = this.apps.get(id);
    if (!slot) return;
    const a = slot.appliance;

    // Power: the sum of the power sensors, when every one of them reads a number.
    const power = slot.entities.filter((s) => s.eval.watts !== undefined);
    if (power.length > 0) {
      a.powerEntities = power.map((s) => s.id);
      const all = power.every((s) => typeof s.eval.watts === 'number');
      const watts = all ? power.reduce((sum, s) => sum + (s.eval.watts as number), 0) : null;
      if (watts !== null && watts !== a.watts) events.push({ type: 'power', applianceId: id, name: a.name, at: now, watts });
      a.watts = watts;
    }
    a.entities = slot.entities.filter((s) => s.eval.verdict !== 'none').map((s) => s.id);

    // The raw verdict: busy beats unknown beats idle; idle since the latest entity turned idle.
    let raw: ApplianceStatus = 'unknown';
    let reason = '';
    let idleSince = 0;
    if (slot.force) {
      raw = slot.force;
      reason = `forced ${slot.force} by configuration`;
      idleSince = a.status === 'idle' ? a.since : now;
    } else {
      const busy = slot.entities.find((s) => s.eval.verdict === 'busy');
      const unknown = slot.entities.find((s) => s.eval.verdict === 'unknown');
      const idles = slot.entities.filter((s) => s.eval.verdict === 'idle');
      let hubBusy = false;
      let hubUnknown = false;
      if (slot.hubLoad) {
        const p = slot.hubLoad.percent;
        hubUnknown = p === null;
        hubBusy = p !== null && p > this.rules.hub.maxLoadPercent;
      }
      if (busy || hubBusy) {
        raw = 'busy';
        reason = busy ? busy.eval.reason : `hub CPU ${slot.hubLoad!.percent}% > ${this.rules.hub.maxLoadPercent}%`;
      } else if (unknown || hubUnknown) {
        raw = 'unknown';
        reason = unknown ? unknown.eval.reason : 'no hub load reading';
      } else if (idles.length > 0 || (slot.hubLoad && !hubUnknown)) {
        raw = 'idle';
        reason = idles.map((s) => s.eval.reason).join(', ') || `hub CPU ${slot.hubLoad!.percent}% <= ${this.rules.hub.maxLoadPercent}%`;
        idleSince = Math.max(...idles.map((s) => s.since), slot.hubLoad ? slot.hubLoad.since : 0);
      } else {
        raw = 'unknown';
        reason = slot.entities.length === 0 ? 'no entities' : 'no entity says idle or busy';
      }
    }

    slot.pendingUntil = undefined;
    const first = !slot.initialised;
    slot.initialised = true;
    if (raw === 'idle') {
      const due = idleSince + slot.holdMs;
      if (due <= now) {
        if (a.status !== 'idle' || first) {
          a.status = 'idle';
          a.since = now;
          a.reason = reason;
          events.push({ type: 'idle', applianceId: id, name: a.name, at: now, since: idleSince, reason });
        } else a.reason = reason;
      } else {
        // Held, not yet long enough: stays as it was (not idle), counts once due.
        slot.pendingUntil = due;
        slot.pendingSince = idleSince;
        const why = `idle for ${Math.round((now - idleSince) / 1000)} s of a ${Math.round(slot.holdMs / 1000)} s hold (${reason})`;
        if (first || a.status === 'idle') {
          a.status = 'busy';
          a.since = now;
          a.reason = why;
          events.push({ type: 'busy', applianceId: id, name: a.name, at: now, status: 'busy', reason: why });
        } else a.reason = why;
      }
    } else {
      if (a.status !== raw || first) {
        a.status = raw;
        a.since = now;
        a.reason = reason;
        events.push({ type: 'busy', applianceId: id, name: a.name, at: now, status: raw, reason });
      } else a.reason = reason;
    }
  }
}

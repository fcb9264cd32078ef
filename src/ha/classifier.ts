// The idle classifier: pure (no I/O, time passed in). Registries and states go in, appliance
// events come out. A thin shell over the steps: building appliances (build.ts, with
// worker-match.ts and overrides.ts), entity evaluation (entity-eval.ts), the verdict with hold
// (verdict.ts) and the budget (budget.ts). The adapter (appliances.ts) feeds it from HA and runs
// a timer for nextDeadline().
import type { Appliance, ApplianceEvent, EntityEntry, EntityState, IdleRules, IgnoredDevice, PowerBudget, RegistrySnapshot, WorkerMapping } from './types.js';
import { applianceEvidence, type Evidence } from './appliance-rules.js';
import { evaluateSlot } from './entity-eval.js';
import { buildAppliances } from './build.js';
import { hubLoadReading, nextHubLoad, settle } from './verdict.js';
import { budgetEvent, initialBudget, readBudgetSensor } from './budget.js';
import type { AppSlot, EntitySlot, Warning } from './slots.js';

export type Warn = (msg: string, fields: Record<string, unknown>) => void;

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
  private entries = new Map<string, EntityEntry>();
  private snapshot: RegistrySnapshot = { devices: [], entities: [], areas: [], labels: [] };
  private liveWorkers: WorkerMapping[] = [];
  private warned = new Set<string>();
  private budgetValue: PowerBudget;
  /** Budget sensors read since the last budget event check. */
  private pendingBudget?: PowerBudget;
  /**
   * Entities once seen with appliance evidence that rests on their state (a status sensor): a
   * restart of HA or of the device shows `unknown` for a while, which must not drop the appliance.
   */
  private stateEvidence = new Map<string, Evidence>();
  private readonly warn: Warn;

  constructor(
    readonly rules: IdleRules,
    opts: ClassifierOptions = {},
  ) {
    this.warn = opts.warn ?? (() => undefined);
    this.budgetValue = initialBudget(rules.budget);
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
      const hubId = this.hubInput(s.entity_id, s, now);
      if (hubId !== undefined) touched.add(hubId);
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
    if (state && this.ignoredEntities.has(entityId) && this.evidence(entityId, this.entries.get(entityId), state)) {
      events.push(...this.rebuild(now));
    }
    if (this.budgetInput(entityId, state ?? undefined)) {
      const b = this.budgetChanged(now);
      if (b) events.push(b);
    }
    const slot = this.entitySlots.get(entityId);
    if (slot) this.evalSlot(slot, state ?? undefined, now, false);
    const hubId = this.hubInput(entityId, state ?? undefined, now);
    if (slot) this.settle(slot.applianceId, now, events);
    if (hubId !== undefined && hubId !== slot?.applianceId) this.settle(hubId, now, events);
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

  private warnOnce(w: Warning): void {
    if (this.warned.has(w.key)) return;
    if (this.warned.size > 10_000) this.warned.clear();
    this.warned.add(w.key);
    this.warn(w.msg, w.fields);
  }

  private rebuild(now: number): ApplianceEvent[] {
    const old = this.apps;
    const built = buildAppliances({
      snapshot: this.snapshot,
      rules: this.rules,
      liveWorkers: this.liveWorkers,
      states: this.states,
      old,
      evidence: (id, entry, state) => this.evidence(id, entry, state),
      now,
    });
    ({
      apps: this.apps,
      entitySlots: this.entitySlots,
      entries: this.entries,
      ignoredDevices: this.ignoredDevices,
      ignoredEntities: this.ignoredEntities,
    } = built);
    for (const w of built.warnings) this.warnOnce(w);
    const events: ApplianceEvent[] = [];
    for (const [id, a] of old) if (!this.apps.has(id)) events.push({ type: 'gone', applianceId: id, name: a.appliance.name, at: now });
    for (const id of this.apps.keys()) this.settle(id, now, events);
    return events;
  }

  private settle(id: string, now: number, events: ApplianceEvent[]): void {
    const slot = this.apps.get(id);
    if (slot) settle(slot, this.rules.hub.maxLoadPercent, now, events);
  }

  private evalSlot(slot: EntitySlot, state: EntityState | undefined, now: number, initial: boolean): void {
    const w = evaluateSlot(slot, state, this.rules.idleTimeSeconds, now, initial);
    if (w) this.warnOnce(w);
  }

  private evidence(entityId: string, entry: EntityEntry | undefined, state: EntityState | undefined): Evidence | null {
    const ev = applianceEvidence(entityId, entry, state, { includeLights: !!this.rules.includeLights });
    if (ev?.kind === 'status') {
      if (this.stateEvidence.size > 50_000) this.stateEvidence.clear();
      this.stateEvidence.set(entityId, ev);
    }
    return ev ?? this.stateEvidence.get(entityId) ?? null;
  }

  private hubSlot(): AppSlot | undefined {
    for (const a of this.apps.values()) if (a.hubLoad) return a;
    return undefined;
  }

  private setHubLoad(hub: AppSlot, percent: number | null, now: number): void {
    hub.hubLoad = nextHubLoad(hub.hubLoad!, percent, this.rules.hub.maxLoadPercent, now);
  }

  /** Reads the hub load sensor; returns the hub's appliance id when it was that sensor. */
  private hubInput(entityId: string, state: EntityState | undefined, now: number): string | undefined {
    if (!this.rules.hub.loadEntity || entityId !== this.rules.hub.loadEntity) return undefined;
    const hub = this.hubSlot();
    if (!hub) return undefined;
    const r = hubLoadReading(state);
    if (r.bad) {
      this.warnOnce({
        key: `hubload:${entityId}`,
        msg: 'hub load sensor has a non-numeric state; the hub counts as busy',
        fields: { entity: entityId, state: String(state!.state).slice(0, 40) },
      });
    }
    this.setHubLoad(hub, r.percent, now);
    return hub.appliance.id;
  }

  /** Reads a budget sensor into the pending budget; true when it was one. */
  private budgetInput(entityId: string, state: EntityState | undefined): boolean {
    const b = this.rules.budget;
    if (entityId !== b.surplusEntity && entityId !== b.priceEntity) return false;
    const r = readBudgetSensor(b, entityId, state, this.pendingBudget ?? this.budgetValue);
    if (!r) return false;
    if (r.warning) this.warnOnce(r.warning);
    this.pendingBudget = r.budget;
    return true;
  }

  private budgetChanged(now: number): ApplianceEvent | undefined {
    const p = this.pendingBudget;
    this.pendingBudget = undefined;
    if (!p) return undefined;
    const ev = budgetEvent(this.budgetValue, p, now);
    if (ev) this.budgetValue = p;
    return ev;
  }
}

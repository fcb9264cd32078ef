// The planner: the hub's side of HubApi inside the hub process (the hub holds it as `planner`,
// src/app/hub/context.ts; "hub" alone is the machine). Holds the appliance set, budget and manual
// state the app feeds in, and applies plans to the hash pool and the local miners. Node-RED nodes
// know it as the HubApi of the setting `microMiningHub` (unchanged).
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { logger, type Logger } from '../log.js';
import type { ApplianceInput, BudgetInput, ManualInput, MinerInput, Plan } from '../schedule/index.js';
import type { ControlCommand, HubApi, HubChange, HubSnapshot, HubStats } from './hub-api.js';

/** What the hub needs of the hash pool (HashPool has all of it). */
export interface PoolLike {
  setThreads(n: number): void;
  readonly threads: number;
  readonly maxThreads: number;
  stats(): { hashrate: number; perThread: number[] };
}

/** The local Stratum miners (the app adapts the Stratum endpoint and worker stats to this). */
export interface MinerControl {
  list(): MinerInput[];
  /** Give work to, or pause, one miner (the plan's reason, for logs and the status page). */
  setWorking(id: string, working: boolean, reason?: string): void;
  /** How many miners did what the last plan asked (for the dispatch node's status). */
  obeyed?(): { obeyed: number; total: number };
}

export interface InProcessHubOptions {
  pool: PoolLike | null;
  miners?: MinerControl | null;
  /** logical cores of the hub (default: this machine's) */
  cores?: number;
  /** cores kept free for Home Assistant (--headroom); null: the policy's headroomCores */
  headroomCores?: number | null;
  /** estimated extra power of one hashing thread, W (default 6) */
  wattsPerThread?: number;
  /** H/s per thread until one is measured (default 1,000,000) */
  hashratePerThreadEstimate?: number;
  logger?: Logger;
}

/**
 * Feed it appliances (`setAppliances`, `updateAppliance`, `removeAppliance`), the budget and the
 * hub's CPU load; the flow reads it through HubApi and applies plans back. Emits `plan` (Plan)
 * after each applied plan.
 */
export class InProcessHub extends EventEmitter implements HubApi {
  readonly name = 'in-process';
  private readonly appliances = new Map<string, ApplianceInput>();
  private budget: BudgetInput = {};
  private manual: ManualInput = {};
  private otherLoad: number | null = null;
  private perThread: number;
  private readonly subscribers = new Set<(s: HubSnapshot, c: HubChange) => void>();
  private readonly working = new Map<string, boolean>();
  private last: Plan | null = null;
  private readonly log: Logger;
  private readonly cores: number;
  private readonly wattsPerThread: number;

  constructor(private readonly opts: InProcessHubOptions) {
    super();
    this.cores = opts.cores ?? availableParallelism();
    this.wattsPerThread = opts.wattsPerThread ?? 6;
    this.perThread = opts.hashratePerThreadEstimate ?? 1_000_000;
    this.log = opts.logger ?? logger('flow-hub');
  }

  /** The manual settings now (pause, thread cap, policy mode chosen by hand). */
  get manualInput(): ManualInput {
    return { ...this.manual };
  }

  /**
   * The power target's allocation (the power part): the plan caps hub threads and keeps workers off
   * with its reasons (ManualInput.power); null: no power target. The flow re-plans on the change.
   */
  setPower(cap: ManualInput['power']): void {
    if (JSON.stringify(cap ?? null) === JSON.stringify(this.manual.power ?? null)) return;
    const { power: _, ...rest } = this.manual;
    this.manual = cap ? { ...rest, power: cap } : rest;
    this.notify({ type: 'manual', at: Date.now() });
  }

  /** The last applied plan (null before the first). */
  get lastPlan(): Plan | null {
    return this.last;
  }

  /** The appliance set now (what the flow sees). */
  applianceList(): ApplianceInput[] {
    return [...this.appliances.values()].map((a) => ({ ...a, roles: [...a.roles] }));
  }

  /** How many HA devices are not appliances. */
  setIgnoredCount(n: number): void {
    this.ignoredCount = n;
  }

  private ignoredCount = 0;

  setAppliances(list: ApplianceInput[]): void {
    this.appliances.clear();
    for (const a of list) this.appliances.set(a.id, a);
    this.notify({ type: 'workers', at: Date.now() });
  }

  updateAppliance(a: ApplianceInput): void {
    const prev = this.appliances.get(a.id);
    this.appliances.set(a.id, a);
    if (!prev || prev.status !== a.status || prev.watts !== a.watts || prev.workerId !== a.workerId) {
      this.notify({ type: 'appliance', id: a.id, status: a.status, at: Date.now() });
    }
  }

  removeAppliance(id: string): void {
    if (this.appliances.delete(id)) this.notify({ type: 'appliance', id, status: 'gone', at: Date.now() });
  }

  setBudget(b: BudgetInput): void {
    const same = b.surplusW === this.budget.surplusW && b.staticW === this.budget.staticW && b.price === this.budget.price;
    this.budget = { ...b };
    if (!same) this.notify({ type: 'budget', at: Date.now() });
  }

  /** CPU use of everything but the miner, % (from hubLoadMeter or an HA sensor). Not a change event by itself. */
  setHubLoad(percent: number | null): void {
    this.otherLoad = percent;
  }

  /** Tell the flow that the miners changed (connected / gone). */
  minersChanged(): void {
    this.notify({ type: 'workers', at: Date.now() });
  }

  async snapshot(): Promise<HubSnapshot> {
    return this.snap();
  }

  subscribe(listener: (snapshot: HubSnapshot, change: HubChange) => void): () => void {
    this.subscribers.add(listener);
    return () => {
      this.subscribers.delete(listener);
    };
  }

  async applyPlan(given: Plan): Promise<Plan> {
    const pool = this.opts.pool;
    // never more threads than the hub has (a plan may come from a flow elsewhere)
    const n = Math.max(0, Math.min(Math.floor(given.hubThreads) || 0, pool?.maxThreads ?? 0));
    const plan: Plan = n === given.hubThreads ? given : { ...given, hubThreads: n };
    if (pool && pool.threads !== n) {
      pool.setThreads(n);
      this.log.info({ threads: n }, plan.summary);
    }
    const miners = this.opts.miners;
    if (miners) {
      for (const d of plan.workers) {
        if (d.kind !== 'miner') continue;
        const on = d.action === 'work';
        if (this.working.get(d.id) !== on) {
          this.working.set(d.id, on);
          try {
            miners.setWorking(d.id, on, d.reason);
          } catch (err) {
            this.log.error({ err, miner: d.id }, 'could not switch a miner');
          }
        }
      }
    }
    this.last = plan;
    this.emit('plan', plan);
    return plan;
  }

  async stats(): Promise<HubStats> {
    const pool = this.opts.pool;
    const ps = pool?.stats();
    const miners = (this.opts.miners?.list() ?? []).map((m) => ({
      id: m.id,
      connected: m.connected,
      hashrate: m.hashrate,
      working: this.working.get(m.id) ?? false,
    }));
    const hubHashrate = ps?.hashrate ?? 0;
    return {
      at: Date.now(),
      hubThreads: pool?.threads ?? 0,
      hubHashrate,
      hashrate: hubHashrate + miners.filter((m) => m.working).reduce((s, m) => s + m.hashrate, 0),
      miners,
      summary: this.last?.summary ?? null,
      manual: { ...this.manual },
      ...(this.opts.miners?.obeyed ? { obeyed: this.opts.miners.obeyed() } : {}),
    };
  }

  /** The most hub threads a cap can allow: the pool's threads (or the cores without a pool). */
  get threadLimit(): number {
    return this.opts.pool?.maxThreads ?? this.cores;
  }

  async control(cmd: ControlCommand): Promise<ManualInput> {
    if (cmd.action === 'stop') this.manual = { ...this.manual, paused: true };
    else if (cmd.action === 'start') this.manual = { ...this.manual, paused: false };
    else if (cmd.action === 'policy') this.manual = { ...this.manual, mode: cmd.mode };
    else if (cmd.action === 'worker') {
      const off = new Set(this.manual.workersOff ?? []);
      if (cmd.on) off.delete(cmd.id);
      else off.add(cmd.id.slice(0, 255));
      this.manual = { ...this.manual, workersOff: [...off].sort().slice(0, 1000) };
    } else {
      // clamped to what the hub has: the state shows the cap that is really applied
      const t = cmd.threads === null ? null : Math.max(0, Math.min(Math.floor(cmd.threads) || 0, this.threadLimit));
      if (t !== cmd.threads) this.log.warn({ asked: cmd.threads, applied: t }, `thread cap ${cmd.threads} is outside 0..${this.threadLimit}: ${t} applied`);
      this.manual = { ...this.manual, maxThreads: t };
    }
    this.log.info({ cmd }, 'manual control');
    this.notify({ type: 'manual', at: Date.now() });
    return { ...this.manual };
  }

  private snap(): HubSnapshot {
    const pool = this.opts.pool;
    if (pool) {
      const rates = pool.stats().perThread.filter((r) => r > 0);
      if (rates.length) this.perThread = rates.reduce((a, b) => a + b, 0) / rates.length;
    }
    return {
      appliances: this.applianceList(),
      ignoredAppliances: this.ignoredCount,
      hub: pool
        ? {
            cores: this.cores,
            headroomCores: this.opts.headroomCores ?? null,
            maxThreads: pool.maxThreads,
            hashratePerThread: this.perThread,
            wattsPerThread: this.wattsPerThread,
            otherLoadPercent: this.otherLoad,
          }
        : null,
      miners: (this.opts.miners?.list() ?? []).map((m) => ({ ...m })),
      budget: { ...this.budget },
      manual: { ...this.manual },
    };
  }

  private notify(change: HubChange): void {
    if (!this.subscribers.size) return;
    const s = this.snap();
    let first = true;
    for (const l of [...this.subscribers]) {
      try {
        // each listener gets its own copy: flows may change messages
        l(first ? s : structuredClone(s), { ...change });
        first = false;
      } catch (err) {
        this.log.error({ err }, 'a hub listener failed');
      }
    }
  }
}

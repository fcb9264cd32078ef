/**
 * How every worker on the local endpoint obeys the plan (docs/architecture.md, "obey"): a `micro-mining
 * worker` agent or a browser page is paused over the hub's Stratum extension; any other miner gets
 * no new work; a miner linked to an HA device with a switch is switched (switches.ts). Also what
 * the scheduler needs to know of each (its power) and what the status page shows (asked vs did).
 */
import { EventEmitter } from 'node:events';
import type { Appliance, WorkerMapping } from '../ha/index.js';
import type { Logger } from '../log.js';
import type { ApplianceInput, MinerInput } from '../schedule/index.js';
import { WorkerControl, type ControlledWorker } from '../stratum/index.js';
import type { WorkerSnapshot } from '../work/index.js';

/** What the status page shows per worker: what the plan asked, and what the worker did. */
export interface WorkerObedience {
  name: string;
  kind: 'agent' | 'browser' | 'miner';
  /** how it obeys: the extension, no new jobs, an HA switch */
  by: 'extension' | 'no-work' | 'switch';
  asked: 'work' | 'pause';
  askedAt: number | null;
  /** what it did, in words: "paused (threads stopped)", "working, 2 threads", "switched off", ... */
  did: string;
  /** the HA device it is linked to */
  device: string | null;
  watts: number;
  wattsFrom: 'sensor' | 'declared' | 'estimate';
}

/** A switch adapter (switches.ts): null when the worker has no linked switch. */
export interface SwitchPort {
  switchFor(worker: string): string | null;
  set(worker: string, entity: string, on: boolean, reason: string): void;
  describe(worker: string): string | null;
  /** the hub switched it off (or will): it is offline because of the plan, not gone */
  heldOff(worker: string): boolean;
}

export interface ObedienceOptions {
  /** the linked HA appliance of a worker (null: none) */
  applianceOf: (worker: string) => Appliance | null;
  /** declared power per worker, W (configuration) */
  declaredW?: Record<string, number>;
  switches?: SwitchPort | null;
  log: Logger;
}

/** Watts per H/s when nothing better is known, by kind (CPU kernels ~ 1 W per 100 kH/s; ASICs far less). */
const ESTIMATE = {
  agent: { perHs: 1 / 100_000, floor: 15, cap: 150 },
  browser: { perHs: 1 / 50_000, floor: 5, cap: 40 },
  miner: { perHs: 1 / 100_000, floor: 1, cap: 30 },
} as const;

/**
 * Events: 'changed' (the set of controlled workers or their links changed: re-link to HA devices).
 */
export class Obedience extends EventEmitter {
  readonly control = new WorkerControl();
  private readonly asked = new Map<string, { working: boolean; at: number; reason: string }>();
  /** worker names ever seen with the extension: never switched off at the plug, even while away */
  private readonly extensionWorkers = new Set<string>();
  private switches: SwitchPort | null;

  constructor(private readonly opts: ObedienceOptions) {
    super();
    this.switches = opts.switches ?? null;
    this.control.on('changed', () => {
      for (const w of this.control.list()) if (w.kind !== 'miner') this.extensionWorkers.add(w.worker);
      this.emit('changed');
    });
    this.control.on('report', (w: ControlledWorker) => this.opts.log.debug({ worker: w.worker, report: w.report }, 'worker report'));
  }

  /** The workers the HA classifier links to devices: by the MAC and host name they told, and their IP. */
  mappings(): WorkerMapping[] {
    const out: WorkerMapping[] = [];
    const seen = new Set<string>();
    for (const w of this.control.list()) {
      if (seen.has(w.worker)) continue;
      seen.add(w.worker);
      const ip = w.address.replace(/^::ffff:/, '');
      out.push({ workerId: w.worker, ...(w.mac ? { mac: w.mac } : {}), ...(ip && ip !== '127.0.0.1' && ip !== '::1' ? { ip } : {}), name: w.hostname ?? w.worker });
    }
    return out;
  }

  /**
   * The appliance as the scheduler sees it. A plain miner's own device describes its mining: the
   * plug it hangs on draws power because it runs, hass-miner's or the Bitaxe integration's power and
   * hashrate sensors read its work. That says nothing about the home needing it, so it never makes
   * the miner "busy" or "unknown" (otherwise the miner would pause itself, then run again, or never
   * run under idle_only): a plain miner is a dedicated miner, obeying only the plan's other reasons
   * (quiet hours, budget, price, the switch by hand).
   */
  planInput(a: Appliance, input: ApplianceInput): ApplianceInput {
    const w = a.workerId;
    if (!w || w === 'hub' || !this.isPlainMiner(w)) return input;
    return { ...input, status: 'idle', roles: input.roles.filter((r) => r !== 'load'), reason: 'a dedicated miner: its own device reads its mining, not the home' };
  }

  /** HA switches for plain miners (when HA is there). */
  useSwitches(port: SwitchPort | null): void {
    this.switches = port;
  }

  /** A plain Stratum miner (not a `micro-mining worker` or browser page). */
  isPlainMiner(worker: string): boolean {
    return !this.extensionWorkers.has(worker);
  }

  /** Carries out the plan's decision for one worker. */
  setWorking(worker: string, working: boolean, reason = ''): void {
    this.asked.set(worker, { working, at: Date.now(), reason });
    const sw = this.switches?.switchFor(worker) ?? null;
    if (sw) {
      this.switches!.set(worker, sw, working, reason);
      // still withhold jobs: a miner that stays connected must not get new work either
      this.control.setWorking(worker, working, reason);
      this.opts.log.info({ worker, switch: sw, working, reason }, `${worker}: ${working ? 'switching on' : 'switching off'} (${reason || 'plan'})`);
      return;
    }
    const told = this.control.setWorking(worker, working, reason);
    this.opts.log.info({ worker, working, reason, ...told }, `${worker}: ${working ? 'work' : 'pause'}${told.extension ? ' (told over the extension)' : told.withheld ? ' (no new jobs)' : ''}`);
  }

  /** The power of a worker while it works, and where the figure comes from. */
  watts(worker: string, hashrate: number): { watts: number; from: WorkerObedience['wattsFrom'] } {
    const a = this.opts.applianceOf(worker);
    if (a && a.powerEntities.length > 0 && a.watts !== null) return { watts: a.watts, from: 'sensor' };
    const declared = this.opts.declaredW?.[worker];
    if (declared !== undefined) return { watts: declared, from: 'declared' };
    const c = this.control.list().find((x) => x.worker === worker);
    if (c?.report?.watts !== undefined) return { watts: c.report.watts, from: 'declared' };
    const e = ESTIMATE[c?.kind ?? 'miner'];
    return { watts: Math.round(Math.min(e.cap, Math.max(e.floor, hashrate * e.perHs)) * 10) / 10, from: 'estimate' };
  }

  /** Power of every worker hashing now, W (online with shares in the rate window). */
  powerNow(stats: WorkerSnapshot[]): number {
    let w = 0;
    for (const s of stats) if (s.kind === 'miner' && s.online && s.hashrate > 0) w += this.watts(s.name, s.hashrate).watts;
    return w;
  }

  private readonly energy = new Map<string, number>();

  /** Adds dt seconds of every hashing worker's power to its energy (kWh). */
  accountEnergy(dt: number, stats: WorkerSnapshot[]): void {
    for (const s of stats) {
      if (s.kind !== 'miner' || !s.online || s.hashrate <= 0) continue;
      this.energy.set(s.name, (this.energy.get(s.name) ?? 0) + (this.watts(s.name, s.hashrate).watts * dt) / 3.6e6);
    }
  }

  /** Energy a worker used while hashing since the hub started, kWh. */
  energyKwh(worker: string): number {
    return this.energy.get(worker) ?? 0;
  }

  /** The miners as the scheduler sees them, from the endpoint's statistics. */
  minerInputs(stats: WorkerSnapshot[]): MinerInput[] {
    return stats
      .filter((w) => w.kind === 'miner')
      .map((w) => {
        // a paused extension worker reads 0 H/s: plan with what it did while working
        const rate = w.hashrate || this.lastRate.get(w.name) || 0;
        if (w.hashrate > 0) this.lastRate.set(w.name, w.hashrate);
        // a miner the hub switched off is offline because of the plan: it stays a candidate
        const connected = w.online || (this.switches?.heldOff(w.name) ?? false);
        return { id: w.name, name: w.name, connected, hashrate: rate, watts: this.watts(w.name, rate).watts };
      });
  }

  private readonly lastRate = new Map<string, number>();

  /** Per worker: what was asked and what it did (status page). */
  report(stats: WorkerSnapshot[]): WorkerObedience[] {
    const controlled = this.control.list();
    return stats
      .filter((w) => w.kind === 'miner' && (w.online || (this.switches?.heldOff(w.name) ?? false)))
      .map((w) => {
        const c = controlled.find((x) => x.worker === w.name);
        const asked = this.asked.get(w.name);
        const sw = this.switches?.switchFor(w.name) ?? null;
        const kind = c?.kind ?? 'miner';
        const by: WorkerObedience['by'] = sw ? 'switch' : kind === 'miner' ? 'no-work' : 'extension';
        let did: string;
        if (sw) did = this.switches!.describe(w.name) ?? 'switch state unknown';
        else if (c?.report) did = `${c.report.state}${c.report.threads ? `, ${c.report.threads} thread${c.report.threads === 1 ? '' : 's'}` : ''}${c.report.reason ? ` (${c.report.reason})` : ''}`;
        else if (kind === 'miner') did = asked && !asked.working ? `no new jobs; ${w.hashrate > 0 ? 'still submitting its last job' : 'no shares'}` : w.hashrate > 0 ? 'working' : 'no shares yet';
        else did = 'no report yet';
        const p = this.watts(w.name, w.hashrate || this.lastRate.get(w.name) || 0);
        return {
          name: w.name,
          kind,
          by,
          asked: asked && !asked.working ? 'pause' : 'work',
          askedAt: asked?.at ?? null,
          did,
          device: this.opts.applianceOf(w.name)?.name ?? null,
          watts: p.watts,
          wattsFrom: p.from,
        } satisfies WorkerObedience;
      });
  }

  /**
   * How many workers did what the plan asked (the dispatch node's status): an extension worker by
   * its report, a switched miner by its switch, any other miner when it hashes as asked (a paused
   * one that still submits its last job has not obeyed).
   */
  obeyed(stats: WorkerSnapshot[]): { obeyed: number; total: number } {
    let obeyed = 0;
    let total = 0;
    for (const [worker, asked] of this.asked) {
      const s = stats.find((x) => x.name === worker);
      const c = this.control.list().find((x) => x.worker === worker);
      const sw = this.switches?.switchFor(worker) ?? null;
      if (!s?.online && !sw) continue;
      total++;
      if (sw) {
        if (this.switches!.heldOff(worker) === !asked.working) obeyed++;
      } else if (c && c.kind !== 'miner') {
        if (c.report && (asked.working ? c.report.state !== 'paused' : c.report.state === 'paused' && c.report.threads === 0)) obeyed++;
      } else if (asked.working || s!.hashrate === 0) obeyed++;
    }
    return { obeyed, total };
  }

}

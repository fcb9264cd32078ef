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
import { WorkerControl, type ControlledWorker, type ReportedState } from '../stratum/index.js';
import type { WorkerSnapshot } from '../work/index.js';
import { cpuKindOf, estimateCpuWatts, type WattFigure, type WattHow } from './power-estimate.js';

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
  /** W it draws for mining now (0 while it does not hash) */
  watts: number;
  /** where `watts` comes from */
  how: WattHow;
}

/**
 * What a worker does now, as the status page, `/api/status` and HA show it: its own report where
 * it sends one (`mining.mm_state`: state, threads, hashrate, kernel), else what its shares say.
 */
export interface WorkerFigures {
  name: string;
  kind: 'agent' | 'browser' | 'miner';
  /** it hashes now: its report says working with threads (a reporting worker), else shares in the window */
  hashing: boolean;
  /** its own state (mm_state); null: it does not report (a plain Stratum miner) or is offline */
  state: ReportedState | null;
  /** why, in its own words (e.g. "this computer is busy (93% CPU by other programs)") */
  reason: string | null;
  /** H/s now (0 when it does not hash): the reported figure, else the share-based one */
  hashrate: number;
  hashrateFrom: 'reported' | 'shares';
  /** the threads it reports hashing with (null: not reported) */
  threads: number | null;
  /** the kernel it reports ("webgpu", "wasm", "native", "webgpu+native"; null: unknown) */
  kernel: string | null;
  /** W for its mining now (0 when it does not hash), and where the figure comes from */
  watts: number;
  how: WattHow;
}

/**
 * A worker's own way to stop and start, tried before its plug (an AxeOS miner's pause, src/axeos):
 * returns true when it carries out the plan's decision itself (the plug then stays as it is).
 */
export interface PausePort {
  setWorking(worker: string, working: boolean, reason: string): boolean;
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
  /** W a hashing thread of a computer counts (the hub's own figure; default: power-estimate.ts) */
  cpuWattsPerThread?: number;
  log: Logger;
}

/**
 * A plain Stratum miner's watts when nothing better is known (it tells no threads): ~1 W per
 * 100 kH/s, from 1 W (an ESP32) to 30 W (a small ASIC). Workers that report threads take the CPU
 * model (power-estimate.ts) instead.
 */
const PLAIN_MINER = { perHs: 1 / 100_000, floor: 1, cap: 30 } as const;

/**
 * Events: 'changed' (the set of controlled workers or their links changed: re-link to HA devices).
 */
export class Obedience extends EventEmitter {
  readonly control = new WorkerControl();
  private readonly asked = new Map<string, { working: boolean; at: number; reason: string }>();
  /** worker names ever seen with the extension: never switched off at the plug, even while away */
  private readonly extensionWorkers = new Set<string>();
  private switches: SwitchPort | null;
  private pauser: PausePort | null = null;
  /** measured watts by worker (setMeasuredWatts) */
  private readonly measured = new Map<string, number>();

  constructor(private readonly opts: ObedienceOptions) {
    super();
    this.switches = opts.switches ?? null;
    this.control.on('changed', () => {
      for (const w of this.control.list()) if (w.kind !== 'miner') this.extensionWorkers.add(w.worker);
      this.emit('changed');
    });
    this.control.on('report', (w: ControlledWorker) => {
      this.opts.log.debug({ worker: w.worker, report: w.report }, 'worker report');
      if (!w.report) return;
      const known = this.known.get(w.worker) ?? { kind: w.kind, threads: null, kernel: null };
      known.kind = w.kind;
      if (w.report.threads > 0) known.threads = w.report.threads;
      if (w.report.kernel) known.kernel = w.report.kernel;
      this.known.set(w.worker, known);
    });
  }

  /** per reporting worker name: its kind, the threads it last hashed with and its last kernel (bounded by the endpoint's worker cap) */
  private readonly known = new Map<string, { kind: ControlledWorker['kind']; threads: number | null; kernel: string | null }>();

  /** The workers the HA classifier links to devices: by the MAC and host name they told, and their IP. */
  mappings(): WorkerMapping[] {
    const out: WorkerMapping[] = [];
    const seen = new Set<string>();
    for (const w of this.control.list()) {
      if (seen.has(w.worker)) continue;
      seen.add(w.worker);
      const ip = w.address.replace(/^::ffff:/, '');
      out.push({
        workerId: w.worker,
        ...(w.mac ? { mac: w.mac } : {}),
        ...(ip && ip !== '127.0.0.1' && ip !== '::1' ? { ip } : {}),
        name: w.hostname ?? w.worker,
      });
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
    return {
      ...input,
      status: 'idle',
      roles: input.roles.filter((r) => r !== 'load'),
      reason: 'a dedicated miner: its own device reads its mining, not the home',
    };
  }

  /** A worker's own pause (an AxeOS miner's), tried before the plug (null: none). */
  usePauser(port: PausePort | null): void {
    this.pauser = port;
  }

  /** A worker's measured draw while it works, W (an AxeOS miner's own reading); null forgets it. */
  setMeasuredWatts(worker: string, watts: number | null): void {
    if (watts === null || !Number.isFinite(watts) || watts < 0) this.measured.delete(worker);
    else this.measured.set(worker, watts);
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
    if (this.pauser?.setWorking(worker, working, reason)) {
      // its own pause took it; no new jobs either while paused
      this.control.setWorking(worker, working, reason);
      this.opts.log.info({ worker, working, reason }, `${worker}: ${working ? 'resume' : 'pause'} (its own pause, not the plug)`);
      return;
    }
    const sw = this.switches?.switchFor(worker) ?? null;
    if (sw) {
      this.switches!.set(worker, sw, working, reason);
      // still withhold jobs: a miner that stays connected must not get new work either
      this.control.setWorking(worker, working, reason);
      this.opts.log.info({ worker, switch: sw, working, reason }, `${worker}: ${working ? 'switching on' : 'switching off'} (${reason || 'plan'})`);
      return;
    }
    const told = this.control.setWorking(worker, working, reason);
    this.opts.log.info(
      { worker, working, reason, ...told },
      `${worker}: ${working ? 'work' : 'pause'}${told.extension ? ' (told over the extension)' : told.withheld ? ' (no new jobs)' : ''}`,
    );
  }

  /**
   * The power of a worker while it works, and where the figure comes from: its own measured
   * reading (setMeasuredWatts: an AxeOS miner; a worker agent's RAPL report), else its linked HA power
   * sensor (plug), else the figure declared in the configuration or by the worker itself
   * (declared), else the worker's own estimate (a GPU page or agent: `wattsEstimate`, plus its CPU
   * threads), else the CPU model by its threads (agents, pages) or its hashrate (plain miners),
   * estimated. `threads`: the threads it hashes with now (default: the last it reported).
   */
  watts(worker: string, hashrate: number, threads?: number): WattFigure {
    const measured = this.measured.get(worker);
    if (measured !== undefined) return { watts: measured, how: 'measured' };
    // a worker agent's own RAPL reading (its whole CPU package while it hashes)
    const reported = this.controlled(worker)?.report?.wattsMeasured;
    if (reported !== undefined) return { watts: reported, how: 'measured' };
    const a = this.opts.applianceOf(worker);
    if (a && a.powerEntities.length > 0 && a.watts !== null) return { watts: a.watts, how: 'plug' };
    const declared = this.opts.declaredW?.[worker];
    if (declared !== undefined) return { watts: declared, how: 'declared' };
    const c = this.controlled(worker);
    const r = c?.report ?? null;
    if (r?.watts !== undefined) return { watts: r.watts, how: 'declared' };
    const known = this.known.get(worker);
    const kind = c?.kind ?? known?.kind ?? 'miner';
    if (kind !== 'miner') {
      const n = threads !== undefined && threads > 0 ? threads : r && r.threads > 0 ? r.threads : (known?.threads ?? 1);
      const kernel = r?.kernel ?? known?.kernel ?? '';
      const cpu = (t: number) => estimateCpuWatts(t, cpuKindOf(kind), kind === 'agent' ? this.opts.cpuWattsPerThread : undefined).watts;
      if (r?.wattsEstimate !== undefined) {
        // the GPU counts as one of its threads; the others are CPU threads ("webgpu+native")
        const cpuThreads = /webgpu/.test(kernel) ? (kernel.includes('+') ? Math.max(0, n - 1) : 0) : 0;
        return { watts: Math.round((r.wattsEstimate + cpu(cpuThreads)) * 10) / 10, how: 'estimated' };
      }
      return { watts: cpu(n), how: 'estimated' };
    }
    const e = PLAIN_MINER;
    return { watts: Math.round(Math.min(e.cap, Math.max(e.floor, hashrate * e.perHs)) * 10) / 10, how: 'estimated' };
  }

  /** The session of a worker that speaks the extension (the first, when several share a name). */
  private controlled(worker: string): ControlledWorker | undefined {
    return this.control.list().find((x) => x.worker === worker && x.kind !== 'miner');
  }

  /**
   * What each worker on the endpoint does now: a worker that reports (agent, page) by its report,
   * a plain miner by its shares. Offline workers are in the list, not hashing.
   */
  figures(stats: WorkerSnapshot[]): WorkerFigures[] {
    const out: WorkerFigures[] = [];
    for (const w of stats) {
      if (w.kind !== 'miner') continue;
      const c = w.online ? this.controlled(w.name) : undefined;
      const r = c?.report ?? null;
      const known = this.known.get(w.name);
      const kind = c?.kind ?? known?.kind ?? 'miner';
      const hashing = w.online && (r ? r.state === 'working' && r.threads > 0 : w.hashrate > 0);
      const hashrate = !hashing ? 0 : r ? r.hashrate : w.hashrate;
      const p = hashing ? this.watts(w.name, hashrate, r?.threads) : { watts: 0, how: 'estimated' as const };
      out.push({
        name: w.name,
        kind: kind === 'miner' ? 'miner' : kind,
        hashing,
        state: r?.state ?? null,
        reason: r?.reason ?? null,
        hashrate,
        hashrateFrom: r ? 'reported' : 'shares',
        threads: r ? r.threads : null,
        kernel: r?.kernel ?? known?.kernel ?? null,
        watts: p.watts,
        how: p.how,
      });
    }
    return out;
  }

  /** Power of every worker hashing now, W by name (its report says it works, or shares in the rate window). */
  drawNow(stats: WorkerSnapshot[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.figures(stats)) if (f.hashing) out[f.name] = f.watts;
    return out;
  }

  /** Power of every worker hashing now, W. */
  powerNow(stats: WorkerSnapshot[]): number {
    return Object.values(this.drawNow(stats)).reduce((a, b) => a + b, 0);
  }

  private readonly energy = new Map<string, number>();

  /** Adds dt seconds of every hashing worker's power to its energy (kWh). */
  accountEnergy(dt: number, stats: WorkerSnapshot[]): void {
    for (const [name, w] of Object.entries(this.drawNow(stats))) this.energy.set(name, (this.energy.get(name) ?? 0) + (w * dt) / 3.6e6);
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
    const figures = this.figures(stats);
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
        else if (c?.report)
          did = `${c.report.state}${c.report.threads ? `, ${c.report.threads} thread${c.report.threads === 1 ? '' : 's'}` : ''}${c.report.reason ? ` (${c.report.reason})` : ''}`;
        else if (kind === 'miner')
          did =
            asked && !asked.working
              ? `no new jobs; ${w.hashrate > 0 ? 'still submitting its last job' : 'no shares'}`
              : w.hashrate > 0
                ? 'working'
                : 'no shares yet';
        else did = 'no report yet';
        const p = figures.find((f) => f.name === w.name) ?? { watts: 0, how: 'estimated' as const };
        return {
          name: w.name,
          kind,
          by,
          asked: asked && !asked.working ? 'pause' : 'work',
          askedAt: asked?.at ?? null,
          did,
          device: this.opts.applianceOf(w.name)?.name ?? null,
          watts: p.watts,
          how: p.how,
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

// The AxeOS part: links miners on the endpoint to their AxeOS (by connection address, or by an
// explicit axeos_url mapping), reads them at a bounded rate (or from /api/ws/live), and steers
// the steered ones to their power budget with the pure rules of steer.ts (the miner's own state
// and guards: miner.ts). Takes minerConnected, minerGone, setBudget, setSteering, selectFrequency,
// pause, resume; emits 'linked', 'unlinked', 'state', 'reading', 'steered' and 'remember'.
import { EventEmitter } from 'node:events';
import { logger as makeLogger, type Logger } from '../log.js';
import { MinerActions } from './actions.js';
import { AxeosClient } from './client.js';
import { isProbeable, probeUrl, type MinerIdentity } from './discovery.js';
import { LiveFeed } from './live.js';
import { mergeLive, parseInfo, readingState, type AxeosReading, type AxeosState } from './model.js';
import {
  frequencyChoiceProblem,
  newMiner,
  powerReadingOf,
  referenceOf,
  settingsAfter,
  statusOf,
  type AxeosStatus,
  type Miner,
  type PowerReading,
} from './miner.js';
import { probe } from './probe.js';
import { decide, steps, type AxeosStep, type UserSettings } from './steer.js';
import type { AxeosEvents, AxeosPartOptions, MinerConnected } from './types.js';

export type { AxeosEvents, AxeosPartOptions, MinerConnected, Remembered } from './types.js';
export type { AxeosStatus, PowerReading } from './miner.js';

type EventArgs = { [K in keyof AxeosEvents]: [AxeosEvents[K]] };

export class AxeosPart extends EventEmitter<EventArgs> {
  private readonly miners = new Map<string, Miner>();
  private readonly probing = new Map<string, { cancel: () => void; url: string }>();
  private readonly o: AxeosPartOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private started = false;
  private readonly actions: MinerActions;

  constructor(opts: AxeosPartOptions = {}) {
    super();
    this.o = opts;
    this.log = opts.logger ?? makeLogger('axeos');
    this.now = opts.now ?? Date.now;
    this.actions = new MinerActions({
      log: this.log,
      now: this.now,
      setState: (m, st, d) => this.setState(m, st, d),
      remember: (m, u, why) => this.remember(m, u, why),
      tell: (ev, e) => this.tell(ev, e),
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all((this.o.mappings ?? []).map((m) => this.link(m.worker, m.url, 'mapping', {}, this.o.probeTries ?? 3)));
  }

  /** Puts every steered miner back to its user's own settings, then closes everything. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const p of this.probing.values()) p.cancel();
    this.probing.clear();
    let timer: NodeJS.Timeout | null = null;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, this.o.stopTimeoutMs ?? 15_000)));
    await Promise.race([Promise.all([...this.miners.values()].map((m) => this.unlink(m, 'the hub stops'))), deadline]);
    if (timer) clearTimeout(timer);
    for (const m of [...this.miners.values()]) {
      this.log.warn({ worker: m.worker }, 'AxeOS did not answer in time while the hub stopped: its settings may not be back');
      this.drop(m, 'the hub stops');
    }
  }

  /** A miner connected to the endpoint: probe its address (private ranges only) unless mapped. */
  minerConnected(e: MinerConnected): void {
    if (!this.started) return;
    if (this.miners.has(e.worker) || this.probing.has(e.worker)) return;
    if ((this.o.mappings ?? []).some((m) => m.worker === e.worker)) return;
    if (!isProbeable(e.address, { allowLoopback: this.o.allowLoopback })) return;
    const url = probeUrl(e.address, this.o.probePort ?? 80);
    if ([...this.miners.values(), ...this.probing.values()].some((m) => m.url === url)) {
      this.log.warn({ worker: e.worker, url }, 'a second miner from an address whose AxeOS is linked already: left a plain miner');
      return;
    }
    if (this.miners.size + this.probing.size >= (this.o.maxMiners ?? 64)) return;
    void this.link(e.worker, url, 'address', e, this.o.probeTries ?? 3);
  }

  /** A miner left the endpoint: a miner linked by its address is put back and unlinked. */
  async minerGone(e: { worker: string }): Promise<void> {
    this.probing.get(e.worker)?.cancel();
    const m = this.miners.get(e.worker);
    if (m && m.via === 'address') await this.unlink(m, 'the miner left the endpoint');
  }

  /** The watts this miner may use now (null: no budget: its user's own settings). */
  setBudget(worker: string, watts: number | null): void {
    const m = this.miners.get(worker);
    if (!m) return;
    m.budgetW = watts === null || !Number.isFinite(watts) ? null : Math.max(0, watts);
    this.steer(m);
  }

  /** The switch "Steered by Micro Mining": off puts the user's own settings back. */
  async setSteering(worker: string, on: boolean): Promise<void> {
    const m = this.miners.get(worker);
    if (!m || m.steered === on) return;
    m.steered = on;
    if (on) this.steer(m);
    else await this.serial(m, () => this.actions.putBack(m, 'steering turned off'));
  }

  /** The select "Frequency": the user's own choice; only a listed value (or the user's own). */
  async selectFrequency(worker: string, mhz: number): Promise<{ ok: boolean; detail: string }> {
    const m = this.miners.get(worker);
    const user = m?.user;
    if (!m || !user) return { ok: false, detail: 'not linked to an AxeOS miner' };
    const problem = frequencyChoiceProblem(m, mhz);
    if (problem) return { ok: false, detail: problem };
    let result = { ok: false, detail: '' };
    await this.serial(m, async () => {
      const r = await this.actions.send(m, { frequency: mhz }, 'frequency chosen in Home Assistant');
      result = r ? { ok: true, detail: `${mhz} MHz` } : { ok: false, detail: m.detail ?? 'not sent' };
      if (r) this.remember(m, { frequency: mhz, coreVoltage: (m.user ?? user).coreVoltage }, 'frequency chosen in Home Assistant');
    });
    return result;
  }

  /** Pause (obey a plan's pause) where the firmware can; else says only the plug can stop it. */
  async pause(worker: string): Promise<{ ok: boolean; plugOnly: boolean; detail: string }> {
    const m = this.miners.get(worker);
    if (!m) return { ok: false, plugOnly: true, detail: 'not linked to an AxeOS miner' };
    if (!m.canPause) return { ok: false, plugOnly: true, detail: 'this firmware cannot pause (v2.14 and later can): only the plug can stop it' };
    let ok = false;
    m.held = true;
    await this.serial(m, async () => {
      ok = await this.actions.act(m, { action: 'pause', reason: 'paused by the plan' });
    });
    return { ok, plugOnly: false, detail: ok ? 'paused' : (m.detail ?? 'not paused') };
  }

  async resume(worker: string): Promise<{ ok: boolean; detail: string }> {
    const m = this.miners.get(worker);
    if (!m?.canPause) return { ok: false, detail: 'cannot resume: not linked or no pause on this firmware' };
    if (m.reading?.overheat || m.reading?.power_fault) return { ok: false, detail: 'not while the device is overheated or shows a power fault' };
    let ok = false;
    m.held = false;
    await this.serial(m, async () => {
      ok = await this.actions.act(m, { action: 'resume', reason: 'resumed by the plan' });
    });
    return { ok, detail: ok ? 'mining' : (m.detail ?? 'not resumed') };
  }

  /** The worker's steps for the allocator (watts and hashrate estimated from its last reading). */
  steps(worker: string): AxeosStep[] {
    const m = this.miners.get(worker);
    if (!m?.user) return [];
    return steps(m.options, m.user, m.reading?.frequency_mhz ?? null, m.ref, m.canPause);
  }

  /**
   * The reading in the shape the power allocator's axeosSteps() takes (src/schedule): options,
   * the user's own frequency, and the last reading taken while hashing (power W, hashrate H/s).
   */
  powerReading(worker: string): PowerReading | null {
    const m = this.miners.get(worker);
    return m ? powerReadingOf(m) : null;
  }

  status(worker: string): AxeosStatus | null {
    const m = this.miners.get(worker);
    return m ? statusOf(m) : null;
  }

  workers(): string[] {
    return [...this.miners.keys()];
  }

  /** Emits without letting a listener's error reach the part's own flow. */
  private tell<K extends keyof AxeosEvents>(event: K, e: AxeosEvents[K]): void {
    try {
      (this.emit as (ev: K, arg: AxeosEvents[K]) => boolean)(event, e);
    } catch (err) {
      this.log.error({ event, err: (err as Error).message }, 'an AxeOS event listener failed');
    }
  }

  // ---- linking ------------------------------------------------------------------------------

  private async link(worker: string, url: string, via: 'address' | 'mapping', told: MinerIdentity, tries: number): Promise<void> {
    const run = probe({ url, told, tries, backoffMs: this.o.probeBackoffMs ?? 1000, client: this.o.client });
    this.probing.set(worker, { cancel: run.cancel, url });
    try {
      const r = await run.result;
      if (r.kind === 'found') await this.adopt(worker, url, via, r.raw, r.reading, r.by);
      else if (r.kind === 'other device') {
        this.log.warn({ worker, reason: r.reason }, 'an AxeOS answered at the miner’s address but it is another device: not linked');
        this.tell('state', { worker, state: 'not linked' as AxeosState, detail: r.reason });
      } else if (r.kind === 'no answer' && via === 'mapping') {
        // a configured miner stays linked while unreachable: its state says why
        await this.adopt(worker, url, via, null, null, ['mapping'], r.detail);
      } else if (r.kind === 'no answer') this.log.debug({ worker, detail: r.detail }, 'no AxeOS at the miner’s address: a plain miner');
    } finally {
      this.probing.delete(worker);
    }
  }

  private async adopt(
    worker: string,
    url: string,
    via: 'address' | 'mapping',
    raw: Record<string, unknown> | null,
    reading: AxeosReading | null,
    by: string[],
    failure?: string,
  ): Promise<void> {
    if (!this.started) return;
    const client = new AxeosClient({ ...this.o.client, url });
    const m = newMiner({
      worker,
      url,
      via,
      client,
      failure: failure ?? null,
      remembered: this.o.remembered?.[worker],
      steered: this.o.steerByDefault === true,
    });
    this.miners.set(worker, m);
    if (raw && reading) {
      await this.readOptions(m);
      this.take(m, raw);
    }
    this.log.info({ worker, url, via, by, firmware: reading?.firmware ?? null }, 'linked to its AxeOS');
    this.tell('linked', {
      worker,
      url,
      via,
      by,
      firmware: reading?.firmware ?? null,
      canPause: m.canPause,
      frequencyOptions: [...m.options.frequency],
      voltageOptions: [...m.options.voltage],
    });
    if (failure) this.setState(m, 'unreachable', failure);
    const every = Math.max(1000, this.o.pollIntervalMs ?? 10_000);
    m.timer = setInterval(
      () => void this.poll(m).catch((err) => this.log.error({ worker: m.worker, err: (err as Error).message }, 'AxeOS poll failed')),
      every,
    );
    if (this.o.live !== false && raw && 'miningPaused' in raw) this.openLive(m);
  }

  private async readOptions(m: Miner): Promise<void> {
    const a = await m.client.asic();
    if (a.ok && a.value) m.options = { frequency: a.value.frequencyOptions, voltage: a.value.voltageOptions };
  }

  private openLive(m: Miner): void {
    if (m.gone || m.live) return;
    m.live = new LiveFeed({
      url: m.url,
      localAddress: this.o.client?.localAddress,
      onUpdate: (data) => {
        if (m.gone) return;
        m.liveAt = this.now();
        this.take(m, mergeLive(m.raw ?? {}, data));
      },
      onEnd: (why) => {
        m.live = null;
        this.log.debug({ worker: m.worker, why }, 'AxeOS live feed ended: polling');
      },
    });
  }

  private async unlink(m: Miner, why: string): Promise<void> {
    if (m.gone) return;
    await this.serial(m, async () => {
      if (m.steered || m.lastSent || m.pausedByHub) await this.actions.putBack(m, why);
    });
    this.drop(m, why);
  }

  private drop(m: Miner, why: string): void {
    if (m.gone) return;
    m.gone = true;
    if (m.timer) clearInterval(m.timer);
    m.live?.close();
    [m.timer, m.live] = [null, null];
    m.client.close();
    this.miners.delete(m.worker);
    this.tell('unlinked', { worker: m.worker, reason: why });
  }

  // ---- reading ------------------------------------------------------------------------------

  private async poll(m: Miner): Promise<void> {
    if (m.gone || m.polling) return;
    const every = Math.max(1000, this.o.pollIntervalMs ?? 10_000);
    if (m.live && this.now() - m.liveAt < every) return;
    m.polling = true;
    const r = await m.client.infoRaw().finally(() => (m.polling = false));
    if (m.gone) return;
    if (!r.ok) {
      this.setState(m, r.state, r.detail);
      return;
    }
    if (m.options.frequency.length === 0 && m.raw === null) await this.readOptions(m);
    this.take(m, r.value);
    if (this.o.live !== false && !m.live && 'miningPaused' in r.value) this.openLive(m);
  }

  private take(m: Miner, raw: Record<string, unknown>): void {
    let reading: AxeosReading;
    try {
      reading = parseInfo(raw);
    } catch (err) {
      this.setState(m, 'bad reply', (err as Error).message);
      return;
    }
    m.raw = raw;
    const prevOverheat = m.reading?.overheat ?? false;
    m.reading = reading;
    m.canPause = 'miningPaused' in raw;
    if (reading.overheat) m.sawOverheat = true;
    const next = settingsAfter(m, reading, prevOverheat, this.now());
    if (next) {
      if (next.why.includes('overheat')) m.sawOverheat = false;
      if (next.why.includes('while steered')) m.lastSent = { ...next.user };
      this.remember(m, next.user, next.why);
    }
    m.ref = referenceOf(reading) ?? m.ref;
    this.setState(m, readingState(reading), reading.power_fault);
    this.tell('reading', { worker: m.worker, reading, steps: this.steps(m.worker) });
    this.steer(m);
  }

  private setState(m: Miner, state: AxeosState, detail: string | null): void {
    if (m.state === state && m.detail === detail) return;
    m.state = state;
    m.detail = detail;
    this.tell('state', { worker: m.worker, state, detail });
  }

  private remember(m: Miner, user: UserSettings, why: string): void {
    m.user = { ...user };
    this.tell('remember', { worker: m.worker, user: { ...user }, pausedByHub: m.pausedByHub, why });
  }

  // ---- steering -----------------------------------------------------------------------------

  private steer(m: Miner): void {
    if (!m.steered || m.gone || m.held || !m.user || !m.reading) return;
    // paused by someone else (the AxeOS page): left alone
    if (m.reading.paused && !m.pausedByHub) return;
    void this.serial(m, async () => {
      if (!m.steered || m.gone || m.held || !m.user || !m.reading) return;
      const r = m.reading;
      const a = decide({
        options: m.options,
        user: m.user,
        frequency: r.frequency_mhz,
        coreVoltage: r.core_voltage_mv,
        paused: r.paused === true,
        overheat: r.overheat,
        powerFault: r.power_fault !== null,
        canPause: m.canPause,
        budgetW: m.budgetW,
        ref: m.ref,
        now: this.now(),
        lastChangeAt: m.lastChangeAt,
        minIntervalMs: this.o.minChangeIntervalMs ?? 60_000,
      });
      if (a.action === 'plug' && m.lastAction !== a.reason) {
        m.lastAction = a.reason;
        this.tell('steered', { worker: m.worker, action: 'plug', reason: a.reason });
      }
      if (a.action === 'set' || a.action === 'pause' || a.action === 'resume') await this.actions.act(m, a);
    });
  }

  /** Runs one change at a time per miner. */
  private serial(m: Miner, fn: () => Promise<void>): Promise<void> {
    const next = m.busy.then(fn, fn).catch((err) => this.log.error({ worker: m.worker, err: (err as Error).message }, 'AxeOS step failed'));
    m.busy = next;
    return next;
  }
}

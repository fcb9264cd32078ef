/**
 * Real miners on a switch: a Stratum miner linked to an HA device that has a switch (the smart plug
 * it hangs on, or the miner's own switch from hass-miner / Bitaxe integrations) is switched with
 * HA's switch.turn_off / turn_on when the plan pauses or resumes it, never more often than its
 * minimum on and off times allow (the pending change is carried out when they have passed).
 * Only plain miners: a computer running `micro-mining worker` or a browser obeys over the extension.
 */
import { callService, type Connection } from 'home-assistant-js-websocket';
import type { Appliance } from '../ha/index.js';
import type { Logger } from '../log.js';
import type { SwitchPort } from './obedience.js';

export interface MinerSwitchesOptions {
  /** the HA connection now (null while HA is away) */
  connection: () => Connection | null | undefined;
  /** the appliance linked to a worker */
  applianceOf: (worker: string) => Appliance | null;
  /** whether the worker is a plain miner (not an extension worker) */
  isPlainMiner: (worker: string) => boolean;
  /** a switch stays on at least this long, s */
  minOnS: number;
  /** a switch stays off at least this long, s */
  minOffS: number;
  log: Logger;
  now?: () => number;
}

interface SwitchState {
  entity: string;
  /** what the hub last made it: null before the first switching */
  on: boolean | null;
  since: number;
  /** the plan's wish that waits for the minimum time */
  pending: { on: boolean; reason: string; at: number } | null;
  timer: NodeJS.Timeout | null;
  lastError: string | null;
  /** ms of the last service call */
  callMs: number | null;
}

export class MinerSwitches implements SwitchPort {
  private readonly state = new Map<string, SwitchState>();
  private readonly now: () => number;

  constructor(private readonly opts: MinerSwitchesOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The switch entity of a plain miner's linked device, or null. */
  switchFor(worker: string): string | null {
    if (!this.opts.isPlainMiner(worker)) return null;
    const a = this.opts.applianceOf(worker);
    const sw = a?.entities.find((e) => e.startsWith('switch.')) ?? null;
    return sw;
  }

  set(worker: string, entity: string, on: boolean, reason: string): void {
    let s = this.state.get(worker);
    if (!s || s.entity !== entity) {
      if (s?.timer) clearTimeout(s.timer);
      s = { entity, on: null, since: 0, pending: null, timer: null, lastError: null, callMs: null };
      this.state.set(worker, s);
    }
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
    s.pending = null;
    if (s.on === on) return;
    const wait = s.on === null ? 0 : s.since + (s.on ? this.opts.minOnS : this.opts.minOffS) * 1000 - this.now();
    if (wait > 0) {
      s.pending = { on, reason, at: this.now() };
      s.timer = setTimeout(() => {
        s.timer = null;
        const p = s.pending;
        s.pending = null;
        if (p) this.call(worker, s, p.on, p.reason);
      }, wait);
      s.timer.unref();
      this.opts.log.info(
        { worker, entity, on, waitS: Math.ceil(wait / 1000) },
        `${worker}: switching ${on ? 'on' : 'off'} in ${Math.ceil(wait / 1000)} s (minimum ${s.on ? 'on' : 'off'} time)`,
      );
      return;
    }
    this.call(worker, s, on, reason);
  }

  heldOff(worker: string): boolean {
    const s = this.state.get(worker);
    return !!s && (s.on === false || s.pending?.on === false);
  }

  /** What the switch did, for the status page. */
  describe(worker: string): string | null {
    const s = this.state.get(worker);
    if (!s) return null;
    const state = s.on === null ? 'not switched yet' : `switched ${s.on ? 'on' : 'off'}`;
    const pending = s.pending ? `; ${s.pending.on ? 'on' : 'off'} when its minimum ${s.on ? 'on' : 'off'} time has passed` : '';
    const err = s.lastError ? `; last call failed: ${s.lastError}` : '';
    return `${state} (${s.entity})${pending}${err}`;
  }

  /** ms of the last switch service call of a worker (null before one). */
  lastCallMs(worker: string): number | null {
    return this.state.get(worker)?.callMs ?? null;
  }

  stop(): void {
    for (const s of this.state.values()) if (s.timer) clearTimeout(s.timer);
    this.state.clear();
  }

  private call(worker: string, s: SwitchState, on: boolean, reason: string): void {
    const conn = this.opts.connection();
    if (!conn) {
      s.lastError = 'Home Assistant is not connected';
      this.opts.log.warn({ worker, entity: s.entity }, `${worker}: cannot switch ${s.entity}: Home Assistant is not connected`);
      return;
    }
    const t0 = performance.now();
    s.on = on;
    s.since = this.now();
    callService(conn, 'switch', on ? 'turn_on' : 'turn_off', {}, { entity_id: s.entity }).then(
      () => {
        s.callMs = performance.now() - t0;
        s.lastError = null;
        this.opts.log.info({ worker, entity: s.entity, on, reason, ms: Math.round(s.callMs) }, `${worker}: ${s.entity} switched ${on ? 'on' : 'off'}`);
      },
      (err: unknown) => {
        s.on = null; // unknown: the next plan tries again
        s.lastError = String((err as { message?: string })?.message ?? err).slice(0, 200);
        this.opts.log.warn({ worker, entity: s.entity, err: s.lastError }, `${worker}: switching ${s.entity} failed`);
      },
    );
  }
}

/**
 * The hub's pause extension to Stratum V1 ("micro-mining-control", docs/workers.md), and the
 * per-session obedience of every miner on the local endpoint:
 *
 * - a miner that negotiates the extension in `mining.configure` (the `micro-mining worker` agent,
 *   the browser worker page) is paused, resumed and capped by messages, and reports what it did;
 * - any other miner never sees an extension message: paused, it simply gets no new jobs.
 *
 * Pure bookkeeping plus a send callback per session: the server (server.ts) calls the hooks,
 * the hub (src/app) calls setWorking/setThreads and reads list().
 */
import { EventEmitter } from 'node:events';
import { InputError } from '../core/index.js';

export const MM_EXTENSION = 'micro-mining-control';
export const MM_PROTOCOL_VERSION = 1;

/** Hub -> worker notifications and the worker -> hub report. */
export const MM_METHODS = {
  /** hub -> worker: stop hashing now. params: [reason?: string] */
  pause: 'mining.mm_pause',
  /** hub -> worker: hash again. params: [] */
  resume: 'mining.mm_resume',
  /** hub -> worker: at most N threads, or null for its own setting. params: [n: integer >= 0 | null] */
  threads: 'mining.mm_threads',
  /** worker -> hub (request with an id): what it does now. params: [WorkerReport] */
  state: 'mining.mm_state',
} as const;

export type WorkerKind = 'agent' | 'browser';

/** What a worker tells the hub in `mining.configure` (`micro-mining-control.*` parameters). */
export interface ControlHello {
  kind: WorkerKind;
  hostname?: string;
  mac?: string;
  version?: string;
}

export type ReportedState = 'working' | 'paused' | 'yielding' | 'idle';

/** The worker's own account of what it does (mm_state). */
export interface WorkerReport {
  state: ReportedState;
  threads: number;
  hashrate: number;
  /** nonces hashed since the worker started: frozen while it does not hash */
  hashes: number;
  reason?: string;
  /** power the worker declares for itself, W */
  watts?: number;
  /** the kernel it hashes with: "webgpu", "wasm", "native", "js" (a short name, or two joined by "+") */
  kernel?: string;
  /** power estimated by the worker (e.g. from its GPU adapter's class), W: an estimate, not declared */
  wattsEstimate?: number;
  /** power the worker's computer measured while it hashes (RAPL: the whole CPU package), W */
  wattsMeasured?: number;
}

/** One session as the hub's server hands it to the control. */
export interface SessionHandle {
  id: number;
  address: string;
  worker: string;
  /** sends a notification (id null) to the miner */
  notify(method: string, params: unknown[]): void;
  /** sends the current difficulty and job (clean_jobs true): work again after a pause */
  giveWork(): void;
}

export interface ControlledWorker {
  sessionId: number;
  worker: string;
  address: string;
  /** how the hub makes it obey: the extension, or no new jobs */
  kind: WorkerKind | 'miner';
  hostname: string | null;
  mac: string | null;
  /** what the hub asked, and when (ms) */
  asked: 'work' | 'pause';
  askedAt: number;
  threadsCap: number | null;
  /** what the worker says it does (extension workers), and when (ms) */
  report: WorkerReport | null;
  reportAt: number | null;
}

interface Entry {
  handle: SessionHandle | null;
  hello: ControlHello | null;
  report: WorkerReport | null;
  reportAt: number | null;
  /** jobs are withheld from this plain miner */
  holding: boolean;
}

interface Wish {
  working: boolean;
  at: number;
  reason: string;
  threads: number | null;
}

const MAC_RE = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;
const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;
const STATES: readonly ReportedState[] = ['working', 'paused', 'yielding', 'idle'];

/** Reads the extension's `mining.configure` parameters; anything malformed is dropped, never trusted. */
export function parseHello(args: Record<string, unknown>): ControlHello {
  const p = (k: string) => args[`${MM_EXTENSION}.${k}`];
  const kind = p('kind') === 'browser' ? 'browser' : 'agent';
  const hello: ControlHello = { kind };
  const host = p('hostname');
  if (typeof host === 'string' && HOST_RE.test(host)) hello.hostname = host;
  const mac = p('mac');
  if (typeof mac === 'string' && MAC_RE.test(mac) && !/^(00[:-]){5}00$/.test(mac)) hello.mac = mac.toLowerCase().replace(/-/g, ':');
  const version = p('version');
  if (typeof version === 'string') hello.version = version.replace(/[^\x20-\x7e]/g, '?').slice(0, 32);
  return hello;
}

/** Reads a worker's mm_state report; throws on anything malformed (the server answers with an error). */
export function parseReport(params: unknown[]): WorkerReport {
  const r = params[0];
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new InputError(`${MM_METHODS.state}: expected [{state, threads, hashrate, hashes}]`);
  const o = r as Record<string, unknown>;
  const state = o.state;
  if (typeof state !== 'string' || !STATES.includes(state as ReportedState))
    throw new InputError(`${MM_METHODS.state}: state must be one of ${STATES.join(', ')}`);
  const num = (k: string, max: number) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) throw new InputError(`${MM_METHODS.state}: ${k} must be a number from 0 to ${max}`);
    return v;
  };
  const report: WorkerReport = {
    state: state as ReportedState,
    threads: Math.floor(num('threads', 1024)),
    hashrate: num('hashrate', 1e15),
    hashes: num('hashes', Number.MAX_SAFE_INTEGER),
  };
  if (typeof o.reason === 'string') report.reason = o.reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
  if (o.watts !== undefined) report.watts = num('watts', 100_000);
  if (typeof o.kernel === 'string' && /^[a-z0-9+-]{1,24}$/.test(o.kernel)) report.kernel = o.kernel;
  if (o.wattsEstimate !== undefined) report.wattsEstimate = num('wattsEstimate', 100_000);
  if (o.wattsMeasured !== undefined) report.wattsMeasured = num('wattsMeasured', 100_000);
  return report;
}

/**
 * Events: 'report' (ControlledWorker) when an extension worker reports, 'changed' when the set of
 * controlled sessions changes.
 */
export class WorkerControl extends EventEmitter {
  private readonly entries = new Map<number, Entry>();
  private readonly wishes = new Map<string, Wish>();

  // --- hooks for the server -----------------------------------------------------------------

  handles(extension: string): boolean {
    return extension === MM_EXTENSION;
  }

  /** `mining.configure` with the extension: remembers the worker's identity; the reply entries. */
  configure(sessionId: number, args: Record<string, unknown>): Record<string, unknown> {
    const e = this.entry(sessionId);
    e.hello = parseHello(args);
    return { [MM_EXTENSION]: true, [`${MM_EXTENSION}.version`]: MM_PROTOCOL_VERSION };
  }

  /** The session is subscribed and authorized: it learns the hub's current wish at once. */
  started(h: SessionHandle): void {
    const e = this.entry(h.id);
    e.handle = h;
    const wish = this.wishes.get(h.worker);
    if (wish && !wish.working) {
      if (e.hello) h.notify(MM_METHODS.pause, [wish.reason]);
      else e.holding = true;
    }
    if (wish?.threads != null && e.hello) h.notify(MM_METHODS.threads, [wish.threads]);
    this.emit('changed');
  }

  /** True while a plain (non-extension) miner must get no new jobs. */
  withholds(sessionId: number): boolean {
    return this.entries.get(sessionId)?.holding ?? false;
  }

  /** An extension request from the miner; undefined when the method is not the extension's. */
  message(sessionId: number, method: string, params: unknown[]): { result: unknown } | undefined {
    if (method !== MM_METHODS.state) return undefined;
    const e = this.entries.get(sessionId);
    if (!e?.hello) throw new InputError(`${MM_METHODS.state} needs the ${MM_EXTENSION} extension negotiated in mining.configure`);
    e.report = parseReport(params);
    e.reportAt = Date.now();
    const w = this.describe(sessionId, e);
    if (w) this.emit('report', w);
    return { result: true };
  }

  gone(sessionId: number): void {
    if (this.entries.delete(sessionId)) this.emit('changed');
  }

  // --- the hub's side -------------------------------------------------------------------------

  /**
   * Asks every session of this worker name to work or pause. Extension workers get a message;
   * plain miners get no new jobs while paused and the current job again on resume.
   * Returns how many sessions were told, by which means.
   */
  setWorking(worker: string, working: boolean, reason = ''): { extension: number; withheld: number } {
    const prev = this.wishes.get(worker);
    this.wishes.set(worker, { working, at: Date.now(), reason: reason.slice(0, 120), threads: prev?.threads ?? null });
    let extension = 0;
    let withheld = 0;
    for (const e of this.entries.values()) {
      const h = e.handle;
      if (!h || h.worker !== worker) continue;
      if (e.hello) {
        h.notify(working ? MM_METHODS.resume : MM_METHODS.pause, working ? [] : [reason.slice(0, 120)]);
        extension++;
      } else {
        if (!working) withheld++;
        if (working && e.holding) {
          e.holding = false;
          h.giveWork();
        } else e.holding = !working;
      }
    }
    return { extension, withheld };
  }

  /** Caps the threads of an extension worker (null: its own setting). */
  setThreads(worker: string, threads: number | null): number {
    const wish = this.wishes.get(worker) ?? { working: true, at: Date.now(), reason: '', threads: null };
    this.wishes.set(worker, { ...wish, threads });
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.handle?.worker === worker && e.hello) {
        e.handle.notify(MM_METHODS.threads, [threads]);
        n++;
      }
    }
    return n;
  }

  /** Forgets the wish for a worker name (it left the plan). */
  forget(worker: string): void {
    this.wishes.delete(worker);
  }

  /** Every started session, with what was asked and what it reported. */
  list(): ControlledWorker[] {
    const out: ControlledWorker[] = [];
    for (const [id, e] of this.entries) {
      const w = this.describe(id, e);
      if (w) out.push(w);
    }
    return out;
  }

  private describe(id: number, e: Entry): ControlledWorker | null {
    if (!e.handle) return null;
    const wish = this.wishes.get(e.handle.worker);
    return {
      sessionId: id,
      worker: e.handle.worker,
      address: e.handle.address,
      kind: e.hello?.kind ?? 'miner',
      hostname: e.hello?.hostname ?? null,
      mac: e.hello?.mac ?? null,
      asked: wish && !wish.working ? 'pause' : 'work',
      askedAt: wish?.at ?? 0,
      threadsCap: wish?.threads ?? null,
      report: e.report ? { ...e.report } : null,
      reportAt: e.reportAt,
    };
  }

  private entry(id: number): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { handle: null, hello: null, report: null, reportAt: null, holding: false };
      this.entries.set(id, e);
    }
    return e;
  }
}

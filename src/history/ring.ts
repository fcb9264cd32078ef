// The history of the hub: a bounded ring on disk under the data folder (history.ring, 852 KiB,
// preallocated once). Three tiers of fixed-size checksummed records (10 s for an hour, 1 min for a
// day, 15 min for 30 days; each 1 min step is stored with its six 10 s steps, so the file keeps
// 10 s steps for a day) and the last 1024 plan changes, kept in memory as an image of the file
// and written in place as whole dirty pages with one fdatasync:
//   - the 10 s and 1 min tiers, the plan and the worker names every `flushIntervalS` (600 s);
//   - the 15 min tier every `coarseIntervalS` (6 h): at load its missing steps are rebuilt from
//     the 1 min tier, which covers a day; and everything on stop().
// A kill -9 or a power cut loses at most the last flush interval. Each write costs whole pages at
// the block layer (4 KiB at least), plus the inode table page its new mtime dirties (on ext4
// without a journal the process pays it), so writes are few: a write of the last 10 minutes is
// one run of 1-2 pages; about 1.7 MB a day in all, with the totals' 2.4 MB (a save every 300 s)
// about 4.1 MB (`npm run bench:store -- --in-process` prints the measured figures).
//
// A file that cannot be read (permissions, a folder in its place, an I/O error) is never written:
// the history of this run is kept in memory only and `notice` says why. A file that was read and is
// not a ring of this layout (header, size) is moved aside as history.ring.bad-<time> (at most 3
// kept) and a fresh ring is made. A record or plan change that does not check is skipped alone.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../log.js';
import { PAGE, createPreallocated, dirtyRuns, moveAside, readPagesBackwards, writePages } from './pagefile.js';
import { buildQuery } from './query.js';
import { Bucket, EVENT_BYTES, decodeEvent, decodeRecord, encodeEvent, encodeRecord, utf8Cut, type PlanEvent, type Rec } from './record.js';
import { NAMES_CAP, NAME_BYTES, PLAN_EVENTS, headerText, layout, type Layout } from './layout.js';
import { decodeSlot, encodeSlot, newestSlot } from './slots.js';
import type { Decision, HistoryQuery, HistorySpan, HistoryTick, PowerHow } from './types.js';

const log = logger('history');

export const HISTORY_FILE = 'history.ring';
/** Workers read from one tick (the rest are ignored); plan changes are tracked for as many. */
export const WORKERS_PER_TICK = 256;
/** A reason that changes while the decision stays is recorded at most this often per worker. */
const REASON_EVERY_MS = 60_000;

export interface HistoryOptions {
  dataDir: string;
  /** Seconds between writes of the 10 s and 1 min tiers and the plan (default 600; 0: only flush()/stop()). */
  flushIntervalS?: number;
  /** Seconds between writes of the 15 min tier (default 21 600). */
  coarseIntervalS?: number;
}

export interface HistoryStatus {
  file: string;
  /** on: written to disk; off: the file could not be read, kept in memory only. */
  persist: 'on' | 'off' | 'not started';
  notice: string | null;
  writes: number;
  bytes: number;
  names: number;
  namesCap: number;
}

const HOWS: PowerHow[] = ['measured', 'estimated', 'declared'];
const num = (x: unknown, min = 0) => (typeof x === 'number' && Number.isFinite(x) ? Math.max(min, x) : 0);
const numOrNull = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const cleanName = (s: unknown) =>
  utf8Cut(
    String(s ?? '')
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .trim() || '?',
    NAME_BYTES,
  ).toString('utf8');

export class History {
  readonly path: string;
  readonly flushIntervalS: number;
  readonly coarseIntervalS: number;
  /** Writes done and bytes handed to the disk (whole pages). */
  readonly written = { writes: 0, bytes: 0 };
  notice: string | null = null;
  private readonly L: Layout = layout();
  private image: Buffer = Buffer.alloc(this.L.size);
  private persist: HistoryStatus['persist'] = 'not started';
  private recs: Array<Array<Rec | null>> = this.L.tiers.map((t) => new Array<Rec | null>(t.count).fill(null));
  private acc: Array<Bucket | null> = this.L.tiers.map(() => null);
  private names: string[] = [];
  private nameIdx = new Map<string, number>();
  private namesSeq = 0;
  private events = new Map<number, PlanEvent>(); // slot -> event
  private eventSeq = 0;
  private lastPlan = new Map<string, { decision: Decision | 'gone'; reason: string; t: number }>();
  private lastShares: number | null = null;
  private dirtyFast: Array<[number, number]> = [];
  private dirtyCoarse: Array<[number, number]> = [];
  private lastCoarseWrite = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: HistoryOptions) {
    this.path = join(opts.dataDir, HISTORY_FILE);
    this.flushIntervalS = Math.max(0, opts.flushIntervalS ?? 600);
    this.coarseIntervalS = Math.max(0, opts.coarseIntervalS ?? 21_600);
  }

  /** Reads (or makes) the ring and starts the periodic writes. Never throws for the file's sake. */
  async start(nowMs = Date.now()): Promise<void> {
    this.stopped = false;
    try {
      await mkdir(this.opts.dataDir, { recursive: true });
      await this.load(nowMs);
    } catch (err) {
      // e.g. a bad file that could not be moved aside: nothing is written, the hub goes on
      this.persist = 'off';
      this.notice = `history ${this.path} could not be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the history of this run is kept in memory only`;
      log.error({ err, file: this.path }, this.notice);
    }
    this.lastCoarseWrite = Date.now(); // real time: the interval is about the disk, not the data
    if (this.flushIntervalS > 0) {
      this.timer = setInterval(() => void this.flush().catch(() => {}), this.flushIntervalS * 1000);
      this.timer.unref();
    }
  }

  /** Closes the open steps, writes everything and stops the timer (no handle stays open). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.stopped) return;
    for (let i = 0; i < this.acc.length; i++) this.finish(i);
    await this.flush({ all: true }).catch(() => {});
    this.stopped = true;
  }

  status(): HistoryStatus {
    return {
      file: this.path,
      persist: this.persist,
      notice: this.notice,
      writes: this.written.writes,
      bytes: this.written.bytes,
      names: this.names.length,
      namesCap: NAMES_CAP,
    };
  }

  /** One tick of the hub (after start()). Cheap and synchronous; bad numbers count as unknown, never throw. */
  record(tick: HistoryTick): void {
    if (this.stopped || this.persist === 'not started' || !tick || !Number.isFinite(tick.t)) return;
    const tS = Math.floor(tick.t / 1000);
    const sharesNow = num(tick.sharesAccepted);
    const shares = this.lastShares === null ? 0 : sharesNow >= this.lastShares ? sharesNow - this.lastShares : sharesNow;
    this.lastShares = sharesNow;
    const ws = Array.isArray(tick.workers) ? tick.workers.slice(0, WORKERS_PER_TICK) : [];
    const workers: Array<[number, number]> = [];
    for (const w of ws) {
      const idx = this.nameIndex(cleanName(w?.name));
      if (idx >= 0) workers.push([idx, num(w?.hashrate)]);
    }
    const point = {
      hashrate: num(tick.hashrate),
      hub: num(tick.hubHashrate),
      power: num(tick.powerW),
      how: HOWS.includes(tick.powerHow as PowerHow) ? (tick.powerHow as PowerHow) : null,
      target: numOrNull(tick.targetW),
      surplus: numOrNull(tick.surplusW),
      best: num(tick.bestDifficulty),
      shares,
      workers,
    };
    this.L.tiers.forEach((tier, i) => {
      const b = Math.floor(tS / tier.stepS) * tier.stepS;
      if (this.acc[i] && this.acc[i]!.t !== b) this.finish(i);
      (this.acc[i] ??= new Bucket(b)).add(point);
    });
    this.planTick(tick.t, ws);
  }

  /** The history of a span (the JSON of GET /api/history). */
  query(span: HistorySpan, nowMs = Date.now()): HistoryQuery {
    const i = this.L.tiers.findIndex((t) => t.span === span);
    if (i < 0) throw new RangeError(`span must be 1h, 24h or 30d (got ${String(span)})`);
    const tier = this.L.tiers[i];
    const own = this.recs[i].filter((r): r is Rec => r !== null);
    const next = this.L.tiers[i + 1];
    const coarser = next ? { stepS: next.stepS, records: this.recs[i + 1].filter((r): r is Rec => r !== null) } : null;
    // per-worker series: the first tier from this one on that keeps workers
    const wi = this.L.tiers.findIndex((t, k) => k >= i && t.workers > 0);
    const workerRecs = wi < 0 ? [] : this.recs[wi].filter((r): r is Rec => r !== null);
    const events = [...this.events.values()];
    return buildQuery(span, tier.stepS, nowMs, own, coarser, workerRecs, this.names, events);
  }

  /**
   * Writes the dirty pages (the 15 min tier only when its interval is due, or with `all`), then
   * fdatasync. Returns the bytes written. Nothing is written when the file could not be read.
   */
  flush(opts: { all?: boolean } = {}): Promise<number> {
    const run = this.chain.then(async () => {
      if (this.persist !== 'on') return 0;
      const coarseDue = opts.all || Date.now() - this.lastCoarseWrite >= this.coarseIntervalS * 1000;
      const ranges = coarseDue ? this.dirtyFast.concat(this.dirtyCoarse) : this.dirtyFast;
      if (ranges.length === 0) return 0;
      const fast = this.dirtyFast;
      const coarse = this.dirtyCoarse;
      this.dirtyFast = [];
      if (coarseDue) this.dirtyCoarse = [];
      try {
        const bytes = await writePages(this.path, this.image, dirtyRuns(ranges));
        if (coarseDue) this.lastCoarseWrite = Date.now();
        this.written.writes++;
        this.written.bytes += bytes;
        return bytes;
      } catch (err) {
        this.dirtyFast = fast.concat(this.dirtyFast);
        if (coarseDue) this.dirtyCoarse = coarse.concat(this.dirtyCoarse);
        log.error({ err, file: this.path }, 'could not write the history');
        throw err;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  // ----------------------------------------------------------------------------------------------

  private finish(i: number): void {
    const a = this.acc[i];
    this.acc[i] = null;
    if (a && !a.empty) this.put(i, a.record());
  }

  private put(i: number, r: Rec): void {
    const tier = this.L.tiers[i];
    const slot = Math.floor(r.t / tier.stepS) % tier.count;
    const off = tier.slotOff(slot);
    encodeRecord(r, this.image, off, tier.workers);
    this.recs[i][slot] = decodeRecord(this.image, off, tier.workers) ?? r; // as stored (32-bit floats)
    this.dirty(i === this.L.tiers.length - 1 ? this.dirtyCoarse : this.dirtyFast, off, tier.recBytes);
  }

  /** Remembers bytes to write (nothing to remember when the file is not ours to write). */
  private dirty(list: Array<[number, number]>, off: number, bytes: number): void {
    if (this.persist !== 'off') list.push([off, off + bytes]);
  }

  private nameIndex(name: string): number {
    const known = this.nameIdx.get(name);
    if (known !== undefined) return known;
    if (this.names.length >= NAMES_CAP) return -1;
    this.names.push(name);
    this.nameIdx.set(name, this.names.length - 1);
    this.namesSeq++;
    const slot = this.namesSeq % 2;
    const off = this.L.names.off + slot * PAGE;
    this.image.set(encodeSlot(this.namesSeq, Buffer.from(this.names.join('\u0000'), 'utf8'), PAGE), off);
    this.dirty(this.dirtyFast, off, PAGE);
    return this.names.length - 1;
  }

  private planTick(t: number, ws: HistoryTick['workers']): void {
    const seen = new Set<string>();
    for (const w of ws) {
      const d = w?.decision;
      if (d !== 'work' && d !== 'pause') continue;
      const name = cleanName(w.name);
      const reason = String(w.reason ?? '').slice(0, 200);
      seen.add(name);
      const prev = this.lastPlan.get(name);
      if (!prev && this.lastPlan.size >= WORKERS_PER_TICK) continue;
      if (!prev || prev.decision !== d || (prev.reason !== reason && t - prev.t >= REASON_EVERY_MS)) this.addEvent({ t, worker: name, decision: d, reason });
    }
    for (const [name, _prev] of this.lastPlan) if (!seen.has(name)) this.addEvent({ t, worker: name, decision: 'gone', reason: '' });
  }

  private addEvent(e: Omit<PlanEvent, 'seq'>): void {
    const seq = ++this.eventSeq;
    const slot = (seq - 1) % PLAN_EVENTS;
    const off = this.L.events.off + slot * EVENT_BYTES;
    const ev = { ...e, seq };
    encodeEvent(ev, this.image, off);
    this.events.set(slot, decodeEvent(this.image, off) ?? ev); // as stored (names and reasons cut)
    this.dirty(this.dirtyFast, off, EVENT_BYTES);
    if (e.decision === 'gone') this.lastPlan.delete(e.worker);
    else this.lastPlan.set(e.worker, { decision: e.decision, reason: e.reason, t: e.t });
  }

  private async load(nowMs: number): Promise<void> {
    const L = this.L;
    let bytes: Buffer;
    let size: number;
    try {
      ({ bytes, size } = await readPagesBackwards(this.path, L.size));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return this.create();
      this.persist = 'off';
      this.notice = `history ${this.path} cannot be read (${e.code ?? 'error'}); nothing is written over it, the history of this run is kept in memory only. Fix: make it readable and writable by the user running the hub, or move it away`;
      log.error({ file: this.path, code: e.code }, this.notice);
      return;
    }
    const header = size === L.size ? decodeSlot(bytes.subarray(0, PAGE)) : null;
    if (header?.kind !== 'ok' || header.payload.toString('utf8') !== headerText(L)) {
      const why = size !== L.size ? `${size} bytes, expected ${L.size}` : 'not a history ring of this version';
      const dest = await moveAside(this.path, 3);
      this.notice = `history ${this.path} unreadable (${why}); kept as ${dest}, a new history starts`;
      log.error({ file: this.path, movedTo: dest }, this.notice);
      return this.create();
    }
    this.image = bytes;
    this.persist = 'on';
    // names: the newest slot that checks
    const slots = [0, 1].map((s) => decodeSlot(bytes.subarray(L.names.off + s * PAGE, L.names.off + (s + 1) * PAGE)));
    const ni = newestSlot(slots);
    if (ni >= 0) {
      const s = slots[ni] as { seq: number; payload: Buffer };
      this.namesSeq = s.seq;
      this.names = s.payload.length ? s.payload.toString('utf8').split('\u0000').slice(0, NAMES_CAP) : [];
      for (const [i, n] of this.names.entries()) this.nameIdx.set(n, i);
    }
    let skipped = 0;
    L.tiers.forEach((tier, i) => {
      for (let s = 0; s < tier.count; s++) {
        const off = tier.slotOff(s);
        const r = decodeRecord(bytes, off, tier.workers);
        // a record in the wrong slot (or from the future) is not trusted
        if (r && Math.floor(r.t / tier.stepS) % tier.count === s && r.t * 1000 <= nowMs + tier.stepS * 1000) this.recs[i][s] = r;
        else if (bytes.readUInt32LE(off + 4) !== 0) skipped++;
      }
    });
    for (let s = 0; s < PLAN_EVENTS; s++) {
      const off = L.events.off + s * EVENT_BYTES;
      const e = decodeEvent(bytes, off);
      if (e) {
        this.events.set(s, e);
        this.eventSeq = Math.max(this.eventSeq, e.seq);
      } else if (bytes.readUInt32LE(off + 4) !== 0) skipped++;
    }
    if (skipped > 0) log.warn({ file: this.path, skipped }, `history: ${skipped} records did not check (a torn write); they are left out`);
    this.rebuild(nowMs);
    this.replayPlan(nowMs);
  }

  /** Steps of a coarser tier missing after a kill -9 are rebuilt from the finer tier; open steps are seeded. */
  private rebuild(nowMs: number): void {
    const nowS = Math.floor(nowMs / 1000);
    for (let i = 1; i < this.L.tiers.length; i++) {
      const tier = this.L.tiers[i];
      const finer = this.L.tiers[i - 1];
      const current = Math.floor(nowS / tier.stepS) * tier.stepS;
      const groups = new Map<number, Bucket>();
      for (const r of this.recs[i - 1]) {
        if (!r) continue;
        const b = Math.floor(r.t / tier.stepS) * tier.stepS;
        if (nowS - b > tier.stepS * tier.count) continue;
        const have = this.recs[i][Math.floor(b / tier.stepS) % tier.count];
        if (have && have.t === b && b !== current) continue; // on disk already
        if (!groups.has(b)) groups.set(b, new Bucket(b));
        groups.get(b)!.add(r, r.samples);
      }
      // the open step goes on from what was recorded of it (its own record, else the finer steps)
      const open = this.recs[i][Math.floor(current / tier.stepS) % tier.count];
      if (open && open.t === current) {
        const seed = new Bucket(current);
        seed.add(open, open.samples);
        this.acc[i] = seed;
        groups.delete(current);
      }
      for (const [b, g] of groups) {
        if (b === current) this.acc[i] = g;
        else this.put(i, g.record());
      }
      void finer;
    }
    // the 10 s tier's open step too
    const t0 = this.L.tiers[0];
    const cur0 = Math.floor(nowS / t0.stepS) * t0.stepS;
    const open0 = this.recs[0][Math.floor(cur0 / t0.stepS) % t0.count];
    if (open0 && open0.t === cur0) {
      const seed = new Bucket(cur0);
      seed.add(open0, open0.samples);
      this.acc[0] = seed;
    }
  }

  /** The plan as it was left: workers still "working" when the hub stopped are closed where the data ends. */
  private replayPlan(nowMs: number): void {
    const latest = new Map<string, PlanEvent>();
    for (const e of [...this.events.values()].sort((a, b) => a.seq - b.seq)) latest.set(e.worker, e);
    let dataEnd = 0;
    this.L.tiers.forEach((tier, i) => {
      for (const r of this.recs[i]) if (r) dataEnd = Math.max(dataEnd, (r.t + tier.stepS) * 1000);
    });
    for (const e of latest.values()) {
      if (e.decision === 'gone') continue;
      this.lastPlan.set(e.worker, { decision: e.decision, reason: e.reason, t: e.t });
      this.addEvent({ t: Math.min(nowMs, Math.max(e.t, dataEnd)), worker: e.worker, decision: 'gone', reason: '' });
    }
  }

  private async create(): Promise<void> {
    const L = this.L;
    this.image = Buffer.alloc(L.size);
    this.image.set(encodeSlot(1, Buffer.from(headerText(L), 'utf8'), PAGE), 0);
    try {
      await createPreallocated(this.path, L.size, (p) => (p === 0 ? this.image.subarray(0, PAGE) : null));
      this.persist = 'on';
    } catch (err) {
      this.persist = 'off';
      this.notice = `history ${this.path} could not be made (${(err as NodeJS.ErrnoException).code ?? 'error'}); the history of this run is kept in memory only`;
      log.error({ err, file: this.path }, this.notice);
    }
  }
}

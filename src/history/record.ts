// The ring's records, pure: encoding in fixed-size checksummed slots, and the aggregation of
// ticks (or finer records) into the record of one step.
import { crc32 } from 'node:zlib';
import type { PowerHow } from './types.js';

/** Bytes of a record without workers; each worker adds WORKER_BYTES. */
export const BASE_BYTES = 40;
export const WORKER_BYTES = 6;
/** Workers kept per record (the ones with the highest hashrate in the step). */
export const WORKERS_PER_RECORD = 8;

const HOW: Array<PowerHow | null> = [null, 'measured', 'estimated', 'declared'];

/** One step: means over its samples, the shares in it, the best difficulty seen by its end. */
export interface Rec {
  /** Start of the step, s since the epoch. */
  t: number;
  hashrate: number;
  hub: number;
  power: number;
  how: PowerHow | null;
  target: number | null;
  surplus: number | null;
  best: number;
  shares: number;
  /** Samples (hub ticks) behind it. */
  samples: number;
  /** Worker name index (into the names table) -> mean hashrate. */
  workers: Array<[idx: number, hashrate: number]>;
}

export function recordBytes(workers: number): number {
  return BASE_BYTES + workers * WORKER_BYTES;
}

const f32 = (x: number | null) => (x === null || !Number.isFinite(x) ? Number.NaN : x);
const orNull = (x: number) => (Number.isNaN(x) ? null : x);

/** Writes `r` into `b` at `off` (a slot of recordBytes(workerSlots) bytes). */
export function encodeRecord(r: Rec, b: Buffer, off: number, workerSlots: number): void {
  const size = recordBytes(workerSlots);
  b.fill(0, off, off + size);
  b.writeUInt32LE(Math.max(1, Math.min(0xffffffff, Math.floor(r.t))), off + 4);
  b.writeFloatLE(f32(r.hashrate), off + 8);
  b.writeFloatLE(f32(r.hub), off + 12);
  b.writeFloatLE(f32(r.power), off + 16);
  b.writeFloatLE(f32(r.target), off + 20);
  b.writeFloatLE(f32(r.surplus), off + 24);
  b.writeFloatLE(f32(r.best), off + 28);
  b.writeFloatLE(f32(r.shares), off + 32);
  b.writeUInt8(Math.max(0, HOW.indexOf(r.how)), off + 36);
  const ws = r.workers.slice(0, workerSlots);
  b.writeUInt8(ws.length, off + 37);
  b.writeUInt16LE(Math.min(0xffff, r.samples), off + 38);
  ws.forEach(([idx, h], i) => {
    b.writeUInt16LE(idx, off + BASE_BYTES + i * WORKER_BYTES);
    b.writeFloatLE(f32(h), off + BASE_BYTES + i * WORKER_BYTES + 2);
  });
  b.writeUInt32LE(crc32(b.subarray(off + 4, off + size)), off);
}

/** The record in the slot at `off`, or null (never written, or it does not check). */
export function decodeRecord(b: Buffer, off: number, workerSlots: number): Rec | null {
  const size = recordBytes(workerSlots);
  const t = b.readUInt32LE(off + 4);
  if (t === 0) return null;
  if (crc32(b.subarray(off + 4, off + size)) !== b.readUInt32LE(off)) return null;
  const n = b.readUInt8(off + 37);
  const how = b.readUInt8(off + 36);
  if (n > workerSlots || how >= HOW.length) return null;
  const workers: Rec['workers'] = [];
  for (let i = 0; i < n; i++) workers.push([b.readUInt16LE(off + BASE_BYTES + i * WORKER_BYTES), b.readFloatLE(off + BASE_BYTES + i * WORKER_BYTES + 2)]);
  const num = (o: number) => {
    const x = b.readFloatLE(off + o);
    return Number.isNaN(x) ? 0 : x;
  };
  return {
    t,
    hashrate: num(8),
    hub: num(12),
    power: num(16),
    target: orNull(b.readFloatLE(off + 20)),
    surplus: orNull(b.readFloatLE(off + 24)),
    best: num(28),
    shares: num(32),
    how: HOW[how],
    samples: b.readUInt16LE(off + 38),
    workers,
  };
}

/** Sums of one step, fed with ticks (weight 1) or with finer records (weight = their samples). */
export class Bucket {
  private n = 0;
  private sum = { hashrate: 0, hub: 0, power: 0, surplus: 0 };
  private surplusN = 0;
  private shares = 0;
  private best = 0;
  private target: number | null = null;
  private hows = new Set<PowerHow | null>();
  private workers = new Map<number, { sum: number; n: number }>();

  constructor(readonly t: number) {}

  get empty(): boolean {
    return this.n === 0;
  }

  add(p: Omit<Rec, 't' | 'samples'>, weight = 1): void {
    const w = Math.max(1, weight);
    this.n += w;
    this.sum.hashrate += p.hashrate * w;
    this.sum.hub += p.hub * w;
    this.sum.power += p.power * w;
    if (p.surplus !== null) {
      this.sum.surplus += p.surplus * w;
      this.surplusN += w;
    }
    this.shares += p.shares;
    this.best = Math.max(this.best, p.best);
    if (p.target !== null) this.target = p.target;
    this.hows.add(p.how);
    for (const [idx, h] of p.workers) {
      const e = this.workers.get(idx) ?? { sum: 0, n: 0 };
      e.sum += h * w;
      e.n += w;
      this.workers.set(idx, e);
    }
  }

  /** The record of the step: means, the shares, the best; mixed power sources read "estimated". */
  record(): Rec {
    const n = Math.max(1, this.n);
    const hows = [...this.hows].filter((h) => h !== null);
    const how = hows.length === 0 ? null : hows.length === 1 ? hows[0] : 'estimated';
    const workers = [...this.workers].map(([idx, e]) => [idx, e.sum / e.n] as [number, number]).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    return {
      t: this.t,
      hashrate: this.sum.hashrate / n,
      hub: this.sum.hub / n,
      power: this.sum.power / n,
      how,
      target: this.target,
      surplus: this.surplusN > 0 ? this.sum.surplus / this.surplusN : null,
      best: this.best,
      shares: this.shares,
      samples: this.n,
      workers: workers.slice(0, WORKERS_PER_RECORD),
    };
  }
}

// ------------------------------------------------------------------------------------------------
// Plan events: a worker's decision or reason changed (or it went away). Fixed 128-byte slots with
// the name and reason inline (UTF-8, cut at a character boundary).

export const EVENT_BYTES = 128;
const NAME_MAX = 32;
const REASON_MAX = EVENT_BYTES - 52;
export type EventDecision = 'work' | 'pause' | 'gone';
const DECISIONS: EventDecision[] = ['work', 'pause', 'gone'];

export interface PlanEvent {
  seq: number;
  /** ms */
  t: number;
  worker: string;
  decision: EventDecision;
  reason: string;
}

/** `s` as UTF-8 of at most `max` bytes, cut at a character boundary. */
export function utf8Cut(s: string, max: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return b.subarray(0, end);
}

export function encodeEvent(e: PlanEvent, b: Buffer, off: number): void {
  b.fill(0, off, off + EVENT_BYTES);
  const name = utf8Cut(e.worker, NAME_MAX);
  const reason = utf8Cut(e.reason, REASON_MAX);
  b.writeUInt32LE(e.seq >>> 0, off + 4);
  b.writeDoubleLE(e.t, off + 8);
  b.writeUInt8(DECISIONS.indexOf(e.decision) + 1, off + 16);
  b.writeUInt8(name.length, off + 17);
  b.writeUInt8(reason.length, off + 18);
  name.copy(b, off + 20);
  reason.copy(b, off + 52);
  b.writeUInt32LE(crc32(b.subarray(off + 4, off + EVENT_BYTES)), off);
}

export function decodeEvent(b: Buffer, off: number): PlanEvent | null {
  const seq = b.readUInt32LE(off + 4);
  if (seq === 0) return null;
  if (crc32(b.subarray(off + 4, off + EVENT_BYTES)) !== b.readUInt32LE(off)) return null;
  const d = b.readUInt8(off + 16);
  const nl = b.readUInt8(off + 17);
  const rl = b.readUInt8(off + 18);
  const t = b.readDoubleLE(off + 8);
  if (d < 1 || d > DECISIONS.length || nl > NAME_MAX || rl > REASON_MAX || !Number.isFinite(t)) return null;
  return { seq, t, decision: DECISIONS[d - 1], worker: b.toString('utf8', off + 20, off + 20 + nl), reason: b.toString('utf8', off + 52, off + 52 + rl) };
}

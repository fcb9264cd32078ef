/**
 * Per-worker share accounting: accepted/rejected/stale, hashrate from credited share difficulty,
 * best share, last share time, user agent. One worker's shares never touch another's totals.
 */
import { EventEmitter } from 'node:events';
import { hashrateFromShares } from '../core/index.js';

export interface WorkerSnapshot {
  name: string;
  /** 'hub' for the hub's own threads, 'miner' for a household miner on the local endpoint */
  kind: 'hub' | 'miner';
  /** shares of practice jobs: they earn nothing */
  practice: boolean;
  online: boolean;
  connections: number;
  accepted: number;
  /** all rejections, stale ones included */
  rejected: number;
  stale: number;
  duplicate: number;
  lowDifficulty: number;
  /** H/s estimated from credited difficulty over the window; 0 when offline (= hashrateEstimate.value) */
  hashrate: number;
  /** the same estimate with the uncertainty its few shares allow (show "±error" or wait for `settled`) */
  hashrateEstimate: HashrateEstimate;
  /** sum of credited difficulty, lifetime of this process */
  creditedDifficulty: number;
  bestDifficulty: number;
  /** ms since epoch */
  bestShareAt: number | null;
  lastShareAt: number | null;
  userAgent: string;
  address: string;
  difficulty: number;
  upstreamAccepted: number;
  upstreamRejected: number;
  blocks: number;
}

/**
 * A hashrate from shares, as pools show it: shares arrive as a Poisson process, so n shares in a
 * window give the rate only to within about ±2/√n (95 %).
 */
export interface HashrateEstimate {
  /** H/s (credited difficulty × 2^32 / seconds) */
  value: number;
  /** 95 % interval, H/s */
  low: number;
  high: number;
  /** accepted shares in the window the estimate rests on */
  shares: number;
  /** half the width of the 95 % interval relative to the value (0.5 = ±50 %); 1 when there is no estimate */
  error: number;
  /** enough shares (SETTLED_SHARES) for the figure to be read without its interval */
  settled: boolean;
}

/** Shares after which an estimate counts as settled (about ±50 % at 95 %). */
export const SETTLED_SHARES = 16;

/**
 * 95 % confidence interval of the mean of a Poisson count n (Wilson-Hilferty approximation of
 * the exact chi-square interval: the upper bound within 1 % of it, the lower within 10 % from
 * n = 2 and 1 % from n = 8).
 */
export function poissonInterval95(n: number): [number, number] {
  const z = 1.959964;
  const lo = n <= 0 ? 0 : n * (1 - 1 / (9 * n) - z / (3 * Math.sqrt(n))) ** 3;
  const m = n + 1;
  const hi = m * (1 - 1 / (9 * m) + z / (3 * Math.sqrt(m))) ** 3;
  return [Math.max(0, lo), hi];
}

/** Stratum error 21 "job not found": a share on a job the hub issued and has since replaced (stale). */
export const STALE_CODE = 21;

/** A rejection for a stale job (the one named check: never compare codes by hand). */
export function isStale(code: number | undefined): boolean {
  return code === STALE_CODE;
}

/**
 * Shares of every worker together since the hub started or the session was reset (HA's "reset
 * session" button): the hub's session figures. Not forgotten when a worker is (maxWorkers).
 */
export interface SessionTally {
  accepted: number;
  /** all rejections, stale ones included (as WorkerSnapshot.rejected) */
  rejected: number;
  stale: number;
  /** the best accepted share's difficulty */
  bestDifficulty: number;
  /** blocks (or practice solutions) found */
  blocks: number;
  /** ms since epoch: the start or the last reset */
  since: number;
}

export interface ShareEvent {
  worker: string;
  kind: 'hub' | 'miner';
  accepted: boolean;
  code?: number;
  message?: string;
  /** difficulty of the hash (accepted shares) */
  difficulty?: number;
  credited?: number;
  at: number;
  practice: boolean;
  jobId?: string;
}

export interface BlockEvent {
  worker: string;
  jobId: string;
  hash: string;
  difficulty: number;
  practice: boolean;
  at: number;
}

export interface WorkerStatsOptions {
  /** hashrate window in seconds (default 600) */
  windowS?: number;
  /** workers remembered at most; the longest-offline are forgotten first (default 4096) */
  maxWorkers?: number;
  now?: () => number;
}

const BUCKETS = 60;
const NO_ESTIMATE: HashrateEstimate = Object.freeze({ value: 0, low: 0, high: 0, shares: 0, error: 1, settled: false });

interface Rec extends WorkerSnapshot {
  firstSeen: number;
  buckets: Float64Array;
  /** accepted shares per bucket */
  counts: Float64Array;
  bucketStart: number;
}

/** Events: 'share' (ShareEvent), 'worker' ({name, online}), 'upstream' ({worker, accepted, code, message}), 'block' (BlockEvent). */
export class WorkerStats extends EventEmitter {
  private readonly workers = new Map<string, Rec>();
  private readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly maxWorkers: number;
  private readonly now: () => number;
  practice = false;
  private tally: SessionTally;

  constructor(opts: WorkerStatsOptions = {}) {
    super();
    this.windowMs = (opts.windowS ?? 600) * 1000;
    this.bucketMs = this.windowMs / BUCKETS;
    this.maxWorkers = opts.maxWorkers ?? 4096;
    this.now = opts.now ?? Date.now;
    this.tally = { accepted: 0, rejected: 0, stale: 0, bestDifficulty: 0, blocks: 0, since: this.now() };
  }

  /** The hub-wide session tally (every worker's shares since the start or the last reset). */
  session(): SessionTally {
    return { ...this.tally };
  }

  /** Starts a new session: the tally from zero (per-worker figures and hashrates are kept). */
  resetSession(): void {
    this.tally = { accepted: 0, rejected: 0, stale: 0, bestDifficulty: 0, blocks: 0, since: this.now() };
  }

  private rec(name: string, kind: 'hub' | 'miner'): Rec {
    let r = this.workers.get(name);
    if (!r) {
      if (this.workers.size >= this.maxWorkers) this.evict();
      const now = this.now();
      r = {
        name,
        kind,
        practice: this.practice,
        online: false,
        connections: 0,
        accepted: 0,
        rejected: 0,
        stale: 0,
        duplicate: 0,
        lowDifficulty: 0,
        hashrate: 0,
        hashrateEstimate: NO_ESTIMATE,
        creditedDifficulty: 0,
        bestDifficulty: 0,
        bestShareAt: null,
        lastShareAt: null,
        userAgent: '',
        address: '',
        difficulty: 0,
        upstreamAccepted: 0,
        upstreamRejected: 0,
        blocks: 0,
        firstSeen: now,
        buckets: new Float64Array(BUCKETS),
        counts: new Float64Array(BUCKETS),
        bucketStart: Math.floor(now / this.bucketMs),
      };
      this.workers.set(name, r);
    }
    return r;
  }

  private evict(): void {
    let victim: Rec | null = null;
    for (const r of this.workers.values()) {
      if (r.online || r.kind === 'hub') continue;
      if (!victim || (r.lastShareAt ?? r.firstSeen) < (victim.lastShareAt ?? victim.firstSeen)) victim = r;
    }
    if (victim) this.workers.delete(victim.name);
  }

  connected(name: string, kind: 'hub' | 'miner', info: { userAgent?: string; address?: string; difficulty?: number } = {}): void {
    const r = this.rec(name, kind);
    r.connections++;
    const was = r.online;
    r.online = true;
    if (info.userAgent) r.userAgent = info.userAgent;
    if (info.address) r.address = info.address;
    if (info.difficulty) r.difficulty = info.difficulty;
    if (!was) this.emit('worker', { name, online: true });
  }

  disconnected(name: string): void {
    const r = this.workers.get(name);
    if (!r) return;
    r.connections = Math.max(0, r.connections - 1);
    if (r.connections === 0 && r.online) {
      r.online = false;
      this.emit('worker', { name, online: false });
    }
  }

  accepted(name: string, kind: 'hub' | 'miner', difficulty: number, credited: number, jobId?: string, connDifficulty?: number): void {
    const r = this.rec(name, kind);
    const now = this.now();
    r.accepted++;
    this.tally.accepted++;
    if (difficulty > this.tally.bestDifficulty) this.tally.bestDifficulty = difficulty;
    r.creditedDifficulty += credited;
    r.lastShareAt = now;
    if (connDifficulty) r.difficulty = connDifficulty;
    if (difficulty > r.bestDifficulty) {
      r.bestDifficulty = difficulty;
      r.bestShareAt = now;
    }
    this.roll(r, now);
    const b = Math.floor(now / this.bucketMs) % BUCKETS;
    r.buckets[b] += credited;
    r.counts[b] += 1;
    this.emit('share', { worker: name, kind, accepted: true, difficulty, credited, at: now, practice: this.practice, jobId } satisfies ShareEvent);
  }

  rejected(name: string, kind: 'hub' | 'miner', code: number, message: string, jobId?: string): void {
    const r = this.rec(name, kind);
    r.rejected++;
    this.tally.rejected++;
    if (isStale(code)) {
      r.stale++;
      this.tally.stale++;
    } else if (code === 22) r.duplicate++;
    else if (code === 23) r.lowDifficulty++;
    this.emit('share', { worker: name, kind, accepted: false, code, message, at: this.now(), practice: this.practice, jobId } satisfies ShareEvent);
  }

  upstream(name: string, accepted: boolean, code?: number, message?: string): void {
    const r = this.workers.get(name);
    if (r) {
      if (accepted) r.upstreamAccepted++;
      else r.upstreamRejected++;
    }
    this.emit('upstream', { worker: name, accepted, code, message });
  }

  block(ev: Omit<BlockEvent, 'at' | 'practice'>): void {
    const r = this.workers.get(ev.worker);
    if (r) r.blocks++;
    this.tally.blocks++;
    this.emit('block', { ...ev, at: this.now(), practice: this.practice } satisfies BlockEvent);
  }

  /** Zeroes buckets that fell out of the window. */
  private roll(r: Rec, now: number): void {
    const cur = Math.floor(now / this.bucketMs);
    const gap = cur - r.bucketStart;
    if (gap <= 0) return;
    if (gap >= BUCKETS) {
      r.buckets.fill(0);
      r.counts.fill(0);
    } else {
      for (let i = 1; i <= gap; i++) {
        r.buckets[(r.bucketStart + i) % BUCKETS] = 0;
        r.counts[(r.bucketStart + i) % BUCKETS] = 0;
      }
    }
    r.bucketStart = cur;
  }

  private estimateOf(r: Rec, now: number): HashrateEstimate {
    this.roll(r, now);
    if (r.kind === 'miner' && !r.online) return NO_ESTIMATE;
    let sum = 0;
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) {
      sum += r.buckets[i];
      n += r.counts[i];
    }
    if (sum === 0 || n === 0) return NO_ESTIMATE;
    const seconds = Math.min(this.windowMs, Math.max(now - r.firstSeen, 30_000)) / 1000;
    const value = hashrateFromShares(sum, seconds);
    const [lo, hi] = poissonInterval95(n);
    const perShare = value / n;
    const low = lo * perShare;
    const high = hi * perShare;
    return { value, low, high, shares: n, error: (high - low) / 2 / value, settled: n >= SETTLED_SHARES };
  }

  worker(name: string): WorkerSnapshot | null {
    const r = this.workers.get(name);
    return r ? this.snap(r, this.now()) : null;
  }

  snapshot(): WorkerSnapshot[] {
    const now = this.now();
    return [...this.workers.values()].map((r) => this.snap(r, now));
  }

  private snap(r: Rec, now: number): WorkerSnapshot {
    const { buckets: _b, counts: _c, bucketStart: _s, firstSeen: _f, ...rest } = r;
    const hashrateEstimate = this.estimateOf(r, now);
    return { ...rest, hashrate: hashrateEstimate.value, hashrateEstimate };
  }

  /** Totals over all workers. */
  totals(): { accepted: number; rejected: number; stale: number; bestDifficulty: number; hashrate: number; blocks: number } {
    const t = { accepted: 0, rejected: 0, stale: 0, bestDifficulty: 0, hashrate: 0, blocks: 0 };
    for (const w of this.snapshot()) {
      t.accepted += w.accepted;
      t.rejected += w.rejected;
      t.stale += w.stale;
      t.blocks += w.blocks;
      t.hashrate += w.hashrate;
      if (w.bestDifficulty > t.bestDifficulty) t.bestDifficulty = w.bestDifficulty;
    }
    return t;
  }
}

/**
 * Variable difficulty for one miner connection (pure: the caller passes the time).
 * Aims at one share every `targetIntervalS`, retargets at most every `retargetS` (sooner when
 * shares flood in), moves in powers of two, and never goes below the floor for tiny devices.
 */
export interface VardiffOptions {
  /** seconds between shares to aim at (default 10) */
  targetIntervalS?: number;
  /** seconds between regular retargets (default 60) */
  retargetS?: number;
  /** floor: an ESP32 at 50 kH/s finds a share at 0.0001 every ~9 s (default 0.00001) */
  minDifficulty?: number;
  /** ceiling (default 2^40) */
  maxDifficulty?: number;
  /** shares that trigger an early retarget (default 16) */
  burstShares?: number;
}

export const VARDIFF_DEFAULTS: Required<VardiffOptions> = {
  targetIntervalS: 10,
  retargetS: 60,
  minDifficulty: 0.00001,
  maxDifficulty: 2 ** 40,
  burstShares: 16,
};

export class Vardiff {
  readonly opts: Required<VardiffOptions>;
  private sinceMs: number;
  private sumDiff = 0;
  private shares = 0;

  constructor(
    private diff: number,
    nowMs: number,
    options: VardiffOptions = {},
  ) {
    this.opts = { ...VARDIFF_DEFAULTS, ...options };
    this.diff = this.clamp(diff);
    this.sinceMs = nowMs;
  }

  get difficulty(): number {
    return this.diff;
  }

  clamp(d: number): number {
    return Math.min(this.opts.maxDifficulty, Math.max(this.opts.minDifficulty, d));
  }

  /** Sets the difficulty outright (a suggestion from the miner); restarts the window. */
  set(d: number, nowMs: number): number {
    this.diff = this.clamp(d);
    this.reset(nowMs);
    return this.diff;
  }

  /**
   * Records an accepted share at the difficulty it was credited at (a share of a job sent before
   * the last change counts at that job's difficulty, not at the connection's new one); returns a
   * new difficulty when it should change.
   */
  onShare(nowMs: number, credited: number): number | null {
    this.shares++;
    this.sumDiff += Number.isFinite(credited) && credited > 0 ? credited : this.diff;
    if (this.shares >= this.opts.burstShares) return this.retarget(nowMs);
    return null;
  }

  /** Periodic check; returns a new difficulty when it should change. */
  tick(nowMs: number): number | null {
    if (nowMs - this.sinceMs < this.opts.retargetS * 1000) return null;
    return this.retarget(nowMs);
  }

  private retarget(nowMs: number): number | null {
    const seconds = Math.max((nowMs - this.sinceMs) / 1000, 0.001);
    let next: number;
    if (this.shares === 0) {
      next = this.diff / 2;
    } else {
      const hashrate = (this.sumDiff * 2 ** 32) / seconds;
      next = (hashrate * this.opts.targetIntervalS) / 2 ** 32;
    }
    next = this.clamp(pow2Floor(next));
    this.reset(nowMs);
    // hysteresis: only move when at least a factor of two away
    if (next >= this.diff * 2 || next <= this.diff / 2) {
      this.diff = next;
      return next;
    }
    return null;
  }

  private reset(nowMs: number): void {
    this.sinceMs = nowMs;
    this.sumDiff = 0;
    this.shares = 0;
  }
}

/** The largest power of two at or below d (d > 0), as public-pool rounds its difficulties. */
export function pow2Floor(d: number): number {
  if (!(d > 0) || !Number.isFinite(d)) return d;
  return 2 ** Math.floor(Math.log2(d));
}

/**
 * Totals part: the lifetime totals (shares, best difficulty, blocks, energy) persisted under the
 * data folder, and the energy tally (the mining's power integrated each tick; each worker's too).
 * Session figures are WorkerStats' (the one share tally); these are the ones that survive a restart.
 *
 * consumes: share, block, tick (energy), snapshot (hand the totals to the store)
 * offers: handle `totals`
 */
import { isStale, type BlockEvent, type ShareEvent } from '../../../work/index.js';
import { TotalsStore, emptyTotals, type LifetimeTotals } from '../../store.js';
import { Part } from '../context.js';
import { miningPowerW } from '../snapshot.js';

declare module '../sections.js' {
  interface HubSections {
    /** the lifetime totals' store: a notice when they were recovered from the previous copy or started anew */
    totals: { notice: string | null };
  }
}

/** The least time between two writes of the lifetime totals by the hub, ms. */
export const TOTALS_INTERVAL_MS = 600_000;

export class TotalsPart extends Part {
  readonly name = 'totals';
  private store: TotalsStore | null = null;
  private totals: LifetimeTotals = emptyTotals();
  private lastEnergyAt = Date.now();

  async start(): Promise<void> {
    const ctx = this.ctx;
    // a totals file that exists but cannot be read throws (TotalsUnreadableError, exit 2) and is
    // never written over: the store refuses every save until a load succeeded
    // one in-place write every 10 minutes at most (8 KiB at the block layer: the data page and the
    // file's inode page), as often as the history's; with it the whole hub writes 3.45 MB a day
    // (npm run bench:store; 5.2 MB/day with the totals every 5 minutes); the first share after a
    // start and a found block are written at once
    const store = new TotalsStore(ctx.config.dataDir, { intervalMs: ctx.overrides.totalsIntervalMs ?? TOTALS_INTERVAL_MS });
    this.store = store;
    this.totals = (await store.load()).totals;
    this.lastEnergyAt = Date.now();
    ctx.provide('totals', { now: () => this.totals });
    // a damaged or unreadable totals file: said on the status page and in /api/status, not only the log
    this.stops.add(
      'totals section',
      ctx.sections.report('totals', () => ({ notice: store.notice })),
    );
    this.stops.add('totals', () => store.flush());
    this.on('share', (e) => this.onShare(e));
    this.on('block', (e) => this.onBlock(e));
    this.on('tick', () => this.accountEnergy());
    this.on('snapshot', () => this.updateTotals());
  }

  /** Before the parts stop: the last energy, then the totals written now. */
  async flush(): Promise<void> {
    this.accountEnergy();
    await this.saveTotals();
  }

  private onShare(e: ShareEvent): void {
    const t = this.totals;
    if (e.accepted) {
      t.sharesAccepted++;
      const d = e.difficulty ?? 0;
      if (d > t.bestDifficulty) t.bestDifficulty = d;
    } else if (isStale(e.code)) t.sharesStale++;
    else t.sharesRejected++;
    this.updateTotals();
  }

  private onBlock(e: BlockEvent): void {
    // a practice "block" meets only the practice job's network target: it is no block
    if (!e.practice) this.totals.blocksFound++;
    this.ctx.log.warn({ worker: e.worker, hash: e.hash, practice: e.practice }, e.practice ? 'practice job solved (not a real block)' : 'BLOCK FOUND');
    // a real block is written at once; anything else waits for the store's interval
    if (e.practice) this.updateTotals();
    else void this.saveTotals();
  }

  /** Adds the energy since the last call (the mining's, and each hashing worker's). */
  private accountEnergy(): void {
    const now = Date.now();
    const dt = (now - this.lastEnergyAt) / 1000;
    this.lastEnergyAt = now;
    if (!(dt > 0 && dt < 3600)) return;
    const ctx = this.ctx;
    const workers = ctx.manager.stats.snapshot();
    // each worker that hashes now (by its own report, else its shares) at its figure
    const minerWatts = ctx.obedience.drawNow(workers);
    this.totals.energyKwh += (miningPowerW(ctx.planner.lastPlan, ctx.pool.stats().hashrate, minerWatts) * dt) / 3.6e6;
    ctx.obedience.accountEnergy(dt, workers);
  }

  /** Hands the totals to the store, which writes them at most once per interval. */
  private updateTotals(): void {
    if (!this.store?.ready) return;
    const { savedAt: _s, version: _v, ...t } = this.totals;
    try {
      this.store.update(t);
    } catch (err) {
      this.ctx.log.error({ err }, 'could not save the lifetime totals');
    }
  }

  /** Writes the totals now (a found block, the stop); nothing when the file could not be read. */
  private saveTotals(): Promise<void> {
    if (!this.store?.ready) return Promise.resolve();
    const { savedAt: _s, version: _v, ...t } = this.totals;
    return this.store.save(t).catch((err) => this.ctx.log.error({ err }, 'could not save the lifetime totals'));
  }
}

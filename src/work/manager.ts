/**
 * The job manager: takes jobs from a source (upstream pool, the user's node or practice) and
 * serves them to the hub's threads and the local endpoint's miners, validating every share and
 * accounting it per worker. Its parts: slots.ts (the extranonce2 space cut so no two workers
 * search the same header), job-book.ts (the jobs under local ids, stale ids), hub-units.ts (the
 * hub threads' nonce ranges), forwarding.ts (blocks to the node, shares upstream).
 */
import { EventEmitter } from 'node:events';
import { difficultyToTarget, targetToDifficulty, type StratumJob } from '../core/index.js';
import type { HashPool, PoolFind, UnitSource, WorkUnit } from '../hashpool/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import type { MinerBackend, ShareContext, ShareVerdict, Slot, SubmitParams } from '../stratum/index.js';
import { ShareForwarding, versionBitsHex } from './forwarding.js';
import { HubUnits } from './hub-units.js';
import { SourceJobBook } from './job-book.js';
import { MinerSlots, layoutOf, slotIn, type Layout } from './slots.js';
import type { JobSource, SourceSession } from './sources.js';
import { WorkerStats } from './stats.js';
import { SHARE_ERR, validateShare } from './validate.js';

export { prefixBytesFor, type Layout } from './slots.js';

export interface JobManagerOptions {
  source: JobSource;
  stats?: WorkerStats;
  /** hub share difficulty when lower than the source's (more local shares for the statistics) */
  hubDifficulty?: number;
  /** nonces per hub work unit (default 2^24) */
  unitNonces?: number;
  /** seconds a share's ntime may run ahead of its job (default 7200) */
  ntimeWindowS?: number;
  /** jobs kept for late shares (default 16) */
  maxJobs?: number;
  /** name of the hub's own worker in the statistics (default "hub") */
  hubWorker?: string;
  logger?: Logger;
}

/** Events: 'job' (StratumJob, the local id), 'layout' (extranonce or mask changed), 'session' (Layout), 'lost', 'stale' ([jobIds]). */
export class JobManager extends EventEmitter implements MinerBackend {
  readonly stats: WorkerStats;
  readonly source: JobSource;
  private readonly opts: JobManagerOptions;
  private readonly log: Logger;
  private layout: Layout | null = null;
  private readonly book: SourceJobBook;
  private readonly slots = new MinerSlots();
  private readonly hubUnits = new HubUnits();
  private readonly forwarding: ShareForwarding;
  private pool: HashPool | null = null;
  private sourceDiff = 1;
  private readonly hubName: string;
  private readonly onFind = (f: PoolFind) => this.hubFind(f);
  private readonly sourceListeners: [string, (...a: unknown[]) => void][] = [];

  constructor(options: JobManagerOptions) {
    super();
    this.opts = options;
    this.source = options.source;
    this.stats = options.stats ?? new WorkerStats();
    this.stats.practice = options.source.kind === 'practice';
    this.log = options.logger ?? makeLogger('work');
    this.hubName = options.hubWorker ?? 'hub';
    this.book = new SourceJobBook(options.maxJobs ?? 16);
    this.forwarding = new ShareForwarding({
      source: this.source,
      stats: this.stats,
      log: this.log,
      session: () => this.layout?.session,
      emit: (ev, payload) => this.emit(ev, payload),
    });
  }

  get kind(): JobSource['kind'] {
    return this.source.kind;
  }

  get label(): string {
    return this.source.label;
  }

  async start(): Promise<void> {
    const on = <T extends unknown[]>(ev: string, fn: (...a: T) => void) => {
      const f = fn as unknown as (...a: unknown[]) => void;
      this.source.on(ev, f);
      this.sourceListeners.push([ev, f]);
    };
    on('session', (s: SourceSession) => this.onSession(s));
    on('job', (j: StratumJob) => this.onJob(j));
    on('difficulty', (d: number) => {
      this.sourceDiff = d;
    });
    on('lost', () => this.onLost());
    await this.source.start();
  }

  async stop(): Promise<void> {
    for (const [ev, fn] of this.sourceListeners) this.source.off(ev, fn);
    this.sourceListeners.length = 0;
    this.detachPool();
    await this.source.stop();
  }

  /** Gives the hub pool its work from this manager, and validates what it finds. */
  attachPool(pool: HashPool): void {
    this.detachPool();
    this.pool = pool;
    pool.on('find', this.onFind);
    pool.setSource(this.unitSource);
    this.stats.connected(this.hubName, 'hub');
  }

  detachPool(): void {
    if (!this.pool) return;
    this.pool.off('find', this.onFind);
    this.pool.setSource(null);
    this.pool = null;
    this.stats.disconnected(this.hubName);
  }

  currentLayout(): Layout | null {
    return this.layout ? { ...this.layout } : null;
  }

  /** The share target the hub threads work at. */
  hubTarget(): bigint {
    const d = this.opts.hubDifficulty && this.opts.hubDifficulty < this.sourceDiff ? this.opts.hubDifficulty : this.sourceDiff;
    return difficultyToTarget(d);
  }

  // ---- source events ----------------------------------------------------------------

  private onSession(s: SourceSession): void {
    const prev = this.layout;
    this.layout = layoutOf(s);
    if (!prev || prev.session !== s.session) {
      this.dropAll();
      this.log.info({ source: this.source.label, extranonce2Size: s.extranonce2Size, minerSlots: this.layout.slots - 1 }, 'job source session');
    }
    if (prev && (prev.extranonce1 !== s.extranonce1 || prev.extranonce2Size !== s.extranonce2Size || prev.versionMask !== s.versionMask)) this.emit('layout');
    this.emit('session', { ...this.layout });
  }

  private onLost(): void {
    this.dropAll();
    this.layout = this.layout ? { ...this.layout, session: -1 } : null;
    this.emit('lost');
  }

  private dropAll(): void {
    const ids = this.book.dropAll();
    this.hubUnits.reset();
    if (this.pool) for (const id of ids) this.pool.cancelJob(id);
    if (ids.length) this.emit('stale', ids);
  }

  private onJob(job: StratumJob): void {
    const layout = this.layout;
    if (!layout || layout.session < 0) return;
    let added: ReturnType<SourceJobBook['add']>;
    try {
      added = this.book.add(job, layout, this.sourceDiff);
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message }, jobId: job.jobId.slice(0, 64) }, 'job source sent an unusable job; ignored');
      return;
    }
    const { rec, stale } = added;
    this.hubUnits.reset();
    if (this.pool && job.cleanJobs) for (const old of stale) this.pool.cancelJob(old);
    this.emit('job', rec.job);
    if (stale.length) this.emit('stale', stale);
  }

  // ---- hub work units ------------------------------------------------------------------

  /** The hub pool's unit source: slot 0 of the extranonce2 space, nonce ranges in order. */
  readonly unitSource: UnitSource = (): WorkUnit | null =>
    this.hubUnits.next(this.book.current, this.layout, this.hubTarget(), this.opts.unitNonces ?? 2 ** 24);

  /** A find of the hub pool: validated like any miner's share, then counted and maybe sent upstream. */
  hubFind(f: PoolFind): void {
    const rec = this.book.get(f.unit.jobId);
    const layout = this.layout;
    if (!rec || !layout || rec.session !== layout.session) {
      this.stats.rejected(this.hubName, 'hub', SHARE_ERR.STALE, 'stale job', f.unit.jobId);
      return;
    }
    const v = validateShare(
      rec,
      {
        extranonce1: layout.extranonce1,
        extranonce2: f.unit.extranonce2,
        extranonce2Size: layout.extranonce2Size,
        ntime: rec.job.ntime,
        nonce: f.nonce,
        versionMask: 0,
        target: f.unit.target,
      },
      { ntimeWindowS: this.opts.ntimeWindowS },
    );
    if (!v.ok) {
      this.stats.rejected(this.hubName, 'hub', v.code, v.message, rec.id);
      if (v.code === SHARE_ERR.LOW_DIFFICULTY) this.log.error({ jobId: rec.id, nonce: f.nonce }, 'hub pool reported a share that does not meet its target');
      return;
    }
    if (v.isBlock) this.forwarding.submitBlock(rec, v, this.hubName, f.unit.extranonce2);
    const credited = Math.min(v.difficulty, targetToDifficulty(f.unit.target));
    this.stats.accepted(this.hubName, 'hub', v.difficulty, credited, rec.id);
    this.forwarding.afterValid(rec, v, this.hubName, f.unit.extranonce2, undefined);
  }

  // ---- MinerBackend (the local endpoint) -----------------------------------------------

  allocate(): Slot | null {
    return this.slots.allocate(this.layout);
  }

  release(slot: number): void {
    this.slots.release(slot);
  }

  layoutFor(slot: number): Slot | null {
    return slotIn(this.layout, slot);
  }

  currentJob(): StratumJob | null {
    return this.book.current?.job ?? null;
  }

  versionMask(): number {
    return this.layout?.versionMask ?? 0;
  }

  workerSeen(ctx: ShareContext): void {
    this.stats.connected(ctx.worker, 'miner', { userAgent: ctx.userAgent, address: ctx.address, difficulty: ctx.difficulty });
  }

  workerGone(ctx: ShareContext): void {
    this.stats.disconnected(ctx.worker);
  }

  rejected(ctx: ShareContext, code: number, message: string): void {
    this.stats.rejected(ctx.worker, 'miner', code, message);
  }

  submit(ctx: ShareContext, share: SubmitParams): ShareVerdict {
    const reject = (code: number, message: string, jobId?: string): ShareVerdict => {
      this.stats.rejected(ctx.worker, 'miner', code, message, jobId);
      return { ok: false, code, message };
    };
    const rec = this.book.get(share.jobId);
    const layout = this.layout;
    if (!rec) {
      if (this.book.isStale(share.jobId)) return reject(SHARE_ERR.STALE, 'stale job', share.jobId);
      // a job id this hub never issued (or forgot long ago): the miner hears the usual code 21,
      // but it counts as invalid, not stale, so a flood of made-up ids cannot inflate the stale count
      this.stats.rejected(ctx.worker, 'miner', SHARE_ERR.OTHER, 'job not found', share.jobId);
      return { ok: false, code: SHARE_ERR.STALE, message: 'job not found' };
    }
    if (!layout || rec.session !== layout.session || !ctx.extranonce1.startsWith(layout.extranonce1))
      return reject(SHARE_ERR.STALE, 'stale job (new extranonce)', share.jobId);
    const current = difficultyToTarget(ctx.difficulty);
    const prev = ctx.previousDifficulty !== null && ctx.previousDifficulty < ctx.difficulty ? difficultyToTarget(ctx.previousDifficulty) : current;
    const v = validateShare(
      rec,
      {
        extranonce1: ctx.extranonce1,
        extranonce2: share.extranonce2,
        extranonce2Size: ctx.extranonce2Size,
        ntime: share.ntime,
        nonce: share.nonce,
        versionBits: share.versionBits,
        versionMask: ctx.versionMask,
        target: prev,
      },
      { ntimeWindowS: this.opts.ntimeWindowS },
    );
    if (!v.ok) return reject(v.code, v.message, rec.id);
    if (v.isBlock) this.forwarding.submitBlock(rec, v, ctx.worker, ctx.extranonce1.slice(layout.extranonce1.length) + share.extranonce2.toLowerCase());
    const credited = v.difficulty >= ctx.difficulty ? ctx.difficulty : (ctx.previousDifficulty ?? ctx.difficulty);
    this.stats.accepted(ctx.worker, 'miner', v.difficulty, credited, rec.id, ctx.difficulty);
    const prefix = ctx.extranonce1.slice(layout.extranonce1.length);
    this.forwarding.afterValid(rec, v, ctx.worker, prefix + share.extranonce2.toLowerCase(), versionBitsHex(share.versionBits));
    return { ok: true, difficulty: v.difficulty, credited };
  }
}

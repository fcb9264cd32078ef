/**
 * The job manager: takes jobs from a source (upstream pool or practice), splits the extranonce2
 * space so no two workers ever search the same header (hub threads use slot 0, each local miner
 * connection gets its own extranonce1 = source extranonce1 + slot prefix), hands out hub work
 * units, validates every share, accounts it per worker, and sends upstream what meets the pool's
 * target.
 */
import { EventEmitter } from 'node:events';
import { assembleHeader, difficultyToTarget, displayHash, nbitsToTarget, parseU32Hex, targetToDifficulty, u32Hex, type StratumJob } from '../core/index.js';
import type { HashPool, PoolFind, UnitSource, WorkUnit } from '../hashpool/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import type { MinerBackend, ShareContext, ShareVerdict, Slot, SubmitParams } from '../stratum/index.js';
import type { JobSource, SourceSession } from './sources.js';
import { WorkerStats } from './stats.js';
import { SHARE_ERR, validateShare, type JobRecord, type Validation } from './validate.js';

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

export interface Layout {
  session: number;
  extranonce1: string;
  extranonce2Size: number;
  /** bytes of extranonce2 taken by the slot prefix */
  prefixBytes: number;
  /** slots 1..slots-1 for miners; slot 0 is the hub's */
  slots: number;
  versionMask: number;
}

/** How many extranonce2 bytes become the slot prefix: enough slots, while leaving miners room. */
export function prefixBytesFor(extranonce2Size: number): number {
  if (extranonce2Size >= 8) return 4;
  if (extranonce2Size >= 4) return 2;
  if (extranonce2Size >= 2) return 1;
  return 0;
}

function prefixHex(slot: number, bytes: number): string {
  return bytes ? slot.toString(16).padStart(bytes * 2, '0') : '';
}

/** Events: 'job' (StratumJob, the local id), 'layout' (extranonce or mask changed), 'session' (Layout), 'lost', 'stale' ([jobIds]). */
export class JobManager extends EventEmitter implements MinerBackend {
  readonly stats: WorkerStats;
  readonly source: JobSource;
  private readonly opts: JobManagerOptions;
  private readonly log: Logger;
  private layout: Layout | null = null;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly staleIds = new Set<string>();
  private currentRec: JobRecord | null = null;
  private jobSeq = 0;
  private nextSlot = 1;
  private readonly freed: number[] = [];
  private readonly used = new Set<number>();
  private pool: HashPool | null = null;
  private hubEn2 = 0n;
  private hubNonce = 0;
  private hubHeader: { en2: string; header: Uint8Array } | null = null;
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
    const k = prefixBytesFor(s.extranonce2Size);
    this.layout = {
      session: s.session,
      extranonce1: s.extranonce1,
      extranonce2Size: s.extranonce2Size,
      prefixBytes: k,
      slots: Math.min(2 ** (8 * k), 65536),
      versionMask: s.versionMask,
    };
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
    const ids = [...this.jobs.keys()];
    for (const id of ids) this.staleIds.add(id);
    this.jobs.clear();
    this.currentRec = null;
    this.resetHub();
    if (this.pool) for (const id of ids) this.pool.cancelJob(id);
    if (ids.length) this.emit('stale', ids);
    this.trimStale();
  }

  private onJob(job: StratumJob): void {
    const layout = this.layout;
    if (!layout || layout.session < 0) return;
    let ntime: number;
    let networkTarget: bigint;
    try {
      ntime = parseU32Hex(job.ntime, 'ntime');
      networkTarget = nbitsToTarget(parseU32Hex(job.nbits, 'nbits'));
      // a job that cannot be assembled is refused here, not when shares arrive
      assembleHeader(job, { extranonce1: layout.extranonce1, extranonce2: '00'.repeat(layout.extranonce2Size) });
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message }, jobId: job.jobId.slice(0, 64) }, 'job source sent an unusable job; ignored');
      return;
    }
    const id = (++this.jobSeq).toString(16);
    const local: StratumJob = { ...job, jobId: id };
    const rec: JobRecord = {
      id,
      job: local,
      sourceJobId: job.jobId,
      session: layout.session,
      ntime,
      networkTarget,
      upstreamTarget: difficultyToTarget(this.sourceDiff),
      createdAt: Date.now(),
      seen: new Set(),
    };
    const stale: string[] = [];
    if (job.cleanJobs) {
      for (const old of this.jobs.keys()) stale.push(old);
    } else {
      const max = this.opts.maxJobs ?? 16;
      for (const old of this.jobs.keys()) if (this.jobs.size - stale.length >= max) stale.push(old);
    }
    for (const old of stale) {
      this.jobs.delete(old);
      this.staleIds.add(old);
    }
    this.trimStale();
    this.jobs.set(id, rec);
    this.currentRec = rec;
    this.resetHub();
    if (this.pool && job.cleanJobs) for (const old of stale) this.pool.cancelJob(old);
    this.emit('job', local);
    if (stale.length) this.emit('stale', stale);
  }

  private trimStale(): void {
    while (this.staleIds.size > 1024) this.staleIds.delete(this.staleIds.values().next().value as string);
  }

  // ---- hub work units ------------------------------------------------------------------

  private resetHub(): void {
    this.hubEn2 = 0n;
    this.hubNonce = 0;
    this.hubHeader = null;
  }

  /** The hub pool's unit source: slot 0 of the extranonce2 space, nonce ranges in order. */
  readonly unitSource: UnitSource = (): WorkUnit | null => {
    const rec = this.currentRec;
    const layout = this.layout;
    if (!rec || !layout || layout.session !== rec.session) return null;
    const unitNonces = this.opts.unitNonces ?? 2 ** 24;
    const counterBytes = layout.extranonce2Size - layout.prefixBytes;
    if (this.hubNonce >= 2 ** 32) {
      this.hubEn2++;
      this.hubNonce = 0;
      this.hubHeader = null;
    }
    if (this.hubEn2 >= 1n << BigInt(8 * counterBytes)) return null; // this job's hub space is searched
    if (!this.hubHeader) {
      const en2 = prefixHex(0, layout.prefixBytes) + counterHex(this.hubEn2, counterBytes);
      const a = assembleHeader(rec.job, { extranonce1: layout.extranonce1, extranonce2: en2 });
      this.hubHeader = { en2, header: a.header };
    }
    const start = this.hubNonce;
    const count = Math.min(unitNonces, 2 ** 32 - start);
    this.hubNonce += count;
    return { jobId: rec.id, extranonce2: this.hubHeader.en2, header: this.hubHeader.header, target: this.hubTarget(), start, count, meta: { session: rec.session } };
  };

  /** A find of the hub pool: validated like any miner's share, then counted and maybe sent upstream. */
  hubFind(f: PoolFind): void {
    const rec = this.jobs.get(f.unit.jobId);
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
    if (v.isBlock) this.submitBlock(rec, v, this.hubName, f.unit.extranonce2);
    const credited = Math.min(v.difficulty, targetToDifficulty(f.unit.target));
    this.stats.accepted(this.hubName, 'hub', v.difficulty, credited, rec.id);
    this.afterValid(rec, v, this.hubName, f.unit.extranonce2, undefined);
  }

  // ---- MinerBackend (the local endpoint) -----------------------------------------------

  allocate(): Slot | null {
    const layout = this.layout;
    if (!layout || layout.session < 0 || layout.prefixBytes === 0) return null;
    let slot: number | undefined;
    if (this.nextSlot < layout.slots) slot = this.nextSlot++;
    else slot = this.freed.shift();
    if (slot === undefined) return null;
    this.used.add(slot);
    return this.layoutFor(slot);
  }

  release(slot: number): void {
    if (this.used.delete(slot)) this.freed.push(slot);
  }

  layoutFor(slot: number): Slot | null {
    const layout = this.layout;
    if (!layout || layout.prefixBytes === 0 || slot <= 0 || slot >= layout.slots) return null;
    return { slot, extranonce1: layout.extranonce1 + prefixHex(slot, layout.prefixBytes), extranonce2Size: layout.extranonce2Size - layout.prefixBytes };
  }

  currentJob(): StratumJob | null {
    return this.currentRec?.job ?? null;
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
    const rec = this.jobs.get(share.jobId);
    const layout = this.layout;
    if (!rec) {
      if (this.staleIds.has(share.jobId)) return reject(SHARE_ERR.STALE, 'stale job', share.jobId);
      // a job id this hub never issued (or forgot long ago): the miner hears the usual code 21,
      // but it counts as invalid, not stale, so a flood of made-up ids cannot inflate the stale count
      this.stats.rejected(ctx.worker, 'miner', SHARE_ERR.OTHER, 'job not found', share.jobId);
      return { ok: false, code: SHARE_ERR.STALE, message: 'job not found' };
    }
    if (!layout || rec.session !== layout.session || !ctx.extranonce1.startsWith(layout.extranonce1)) return reject(SHARE_ERR.STALE, 'stale job (new extranonce)', share.jobId);
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
    if (v.isBlock) this.submitBlock(rec, v, ctx.worker, ctx.extranonce1.slice(layout.extranonce1.length) + share.extranonce2.toLowerCase());
    const credited = v.difficulty >= ctx.difficulty ? ctx.difficulty : (ctx.previousDifficulty ?? ctx.difficulty);
    this.stats.accepted(ctx.worker, 'miner', v.difficulty, credited, rec.id, ctx.difficulty);
    const prefix = ctx.extranonce1.slice(layout.extranonce1.length);
    this.afterValid(rec, v, ctx.worker, prefix + share.extranonce2.toLowerCase(), share.versionBits === undefined ? undefined : u32Hex(parseU32Hex(share.versionBits, 'version_bits')));
    return { ok: true, difficulty: v.difficulty, credited };
  }

  /**
   * A share meeting the network target, for a source that takes blocks (the user's node): sent at
   * once, before the share is counted; it counts as a block found only when the node accepts it.
   * Events: 'blockResult' (BlockOutcome & {worker}).
   */
  private submitBlock(rec: JobRecord, v: Extract<Validation, { ok: true }>, worker: string, en2: string): void {
    if (!this.source.submitBlock) return;
    const hash = displayHash(v.hashRaw);
    this.log.warn({ worker, hash }, 'BLOCK candidate: sending it to the node');
    this.source
      .submitBlock({ jobId: rec.sourceJobId, extranonce2: en2, header: v.header })
      .then((o) => {
        if (o.accepted) this.stats.block({ worker, jobId: rec.id, hash, difficulty: v.difficulty });
        this.emit('blockResult', { ...o, worker });
      })
      .catch((err: Error) => this.log.error({ err, hash }, 'submitting the block failed'));
  }

  /** Blocks are announced; shares meeting the pool's target go upstream (never in practice). */
  private afterValid(rec: JobRecord, v: Extract<Validation, { ok: true }>, worker: string, upstreamEn2: string, versionBits: string | undefined): void {
    if (v.isBlock && !this.source.submitBlock) {
      const hash = displayHash(v.hashRaw);
      this.log.warn({ worker, hash, practice: this.source.kind === 'practice' }, this.source.kind === 'practice' ? 'a practice share meets the network target (practice: earns nothing)' : 'BLOCK candidate found');
      this.stats.block({ worker, jobId: rec.id, hash, difficulty: v.difficulty });
    }
    if (this.source.kind !== 'upstream' || !v.meetsUpstream) return;
    const session = rec.session;
    this.source
      .submit({ jobId: rec.sourceJobId, extranonce2: upstreamEn2, ntime: u32Hex(v.ntime), nonce: u32Hex(v.nonce), versionBits })
      .then((o) => {
        if (this.layout?.session !== session && !o.accepted) this.log.debug({ worker }, 'upstream rejected a share of an earlier session');
        this.stats.upstream(worker, o.accepted, o.code, o.message);
        if (!o.accepted) this.log.warn({ worker, code: o.code, reason: o.message }, 'pool rejected a share');
      })
      .catch((err: Error) => this.log.error({ err }, 'upstream submit failed'));
  }
}

function counterHex(n: bigint, bytes: number): string {
  if (bytes === 0) return '';
  return n.toString(16).padStart(bytes * 2, '0');
}

/**
 * The jobs of the current source session under the hub's own ids: the current job, those kept
 * for late shares (at most `maxJobs`), and the ids that went stale (bounded), so a late share is
 * told "stale" and a made-up id "job not found". No I/O.
 */
import { assembleHeader, difficultyToTarget, nbitsToTarget, parseU32Hex, type StratumJob } from '../core/index.js';
import type { Layout } from './slots.js';
import type { JobRecord } from './validate.js';

/** Stale ids remembered, at most. */
const MAX_STALE_IDS = 1024;

export class SourceJobBook {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly staleIds = new Set<string>();
  private currentRec: JobRecord | null = null;
  private seq = 0;

  constructor(private readonly maxJobs = 16) {}

  get current(): JobRecord | null {
    return this.currentRec;
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  isStale(id: string): boolean {
    return this.staleIds.has(id);
  }

  /**
   * Records a source job under a new local id; returns it and the ids it made stale (all of them
   * on clean_jobs, else the oldest past `maxJobs`). Throws InputError when the job cannot be
   * assembled (refused here, not when shares arrive).
   */
  add(job: StratumJob, layout: Layout, sourceDifficulty: number): { rec: JobRecord; stale: string[] } {
    const ntime = parseU32Hex(job.ntime, 'ntime');
    const networkTarget = nbitsToTarget(parseU32Hex(job.nbits, 'nbits'));
    assembleHeader(job, { extranonce1: layout.extranonce1, extranonce2: '00'.repeat(layout.extranonce2Size) });
    const id = (++this.seq).toString(16);
    const rec: JobRecord = {
      id,
      job: { ...job, jobId: id },
      sourceJobId: job.jobId,
      session: layout.session,
      ntime,
      networkTarget,
      upstreamTarget: difficultyToTarget(sourceDifficulty),
      createdAt: Date.now(),
      seen: new Set(),
    };
    const stale: string[] = [];
    if (job.cleanJobs) {
      for (const old of this.jobs.keys()) stale.push(old);
    } else {
      for (const old of this.jobs.keys()) if (this.jobs.size - stale.length >= this.maxJobs) stale.push(old);
    }
    for (const old of stale) {
      this.jobs.delete(old);
      this.staleIds.add(old);
    }
    this.trimStale();
    this.jobs.set(id, rec);
    this.currentRec = rec;
    return { rec, stale };
  }

  /** Every job goes stale (a new session, a lost source); returns their ids. */
  dropAll(): string[] {
    const ids = [...this.jobs.keys()];
    for (const id of ids) this.staleIds.add(id);
    this.jobs.clear();
    this.currentRec = null;
    this.trimStale();
    return ids;
  }

  private trimStale(): void {
    while (this.staleIds.size > MAX_STALE_IDS) this.staleIds.delete(this.staleIds.values().next().value as string);
  }
}

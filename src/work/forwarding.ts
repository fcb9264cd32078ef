/**
 * Where a valid share goes after it is counted: a block candidate to the user's node
 * (`submitblock`, before the share is counted; a block counts when the node accepts it) or
 * announced, and a share meeting the pool's target upstream (never in practice).
 */
import { displayHash, parseU32Hex, u32Hex } from '../core/index.js';
import type { Logger } from '../log.js';
import type { JobSource } from './sources.js';
import type { WorkerStats } from './stats.js';
import type { JobRecord, Validation } from './validate.js';

export type ValidShare = Extract<Validation, { ok: true }>;

export interface ForwardingOptions {
  source: JobSource;
  stats: WorkerStats;
  log: Logger;
  /** the current source session (a late upstream reply of an earlier one is only noted) */
  session: () => number | undefined;
  /** 'blockResult' (BlockOutcome & {worker}) */
  emit: (event: 'blockResult', payload: unknown) => void;
}

export class ShareForwarding {
  constructor(private readonly o: ForwardingOptions) {}

  /** A share meeting the network target, for a source that takes blocks: sent at once. */
  submitBlock(rec: JobRecord, v: ValidShare, worker: string, en2: string): void {
    const { source, stats, log } = this.o;
    if (!source.submitBlock) return;
    const hash = displayHash(v.hashRaw);
    log.warn({ worker, hash }, 'BLOCK candidate: sending it to the node');
    source
      .submitBlock({ jobId: rec.sourceJobId, extranonce2: en2, header: v.header })
      .then((o) => {
        if (o.accepted) stats.block({ worker, jobId: rec.id, hash, difficulty: v.difficulty });
        this.o.emit('blockResult', { ...o, worker });
      })
      .catch((err: Error) => log.error({ err, hash }, 'submitting the block failed'));
  }

  /** Blocks are announced; shares meeting the pool's target go upstream (never in practice). */
  afterValid(rec: JobRecord, v: ValidShare, worker: string, upstreamEn2: string, versionBits: string | undefined): void {
    const { source, stats, log } = this.o;
    if (v.isBlock && !source.submitBlock) {
      const hash = displayHash(v.hashRaw);
      log.warn(
        { worker, hash, practice: source.kind === 'practice' },
        source.kind === 'practice' ? 'a practice share meets the network target (practice: earns nothing)' : 'BLOCK candidate found',
      );
      stats.block({ worker, jobId: rec.id, hash, difficulty: v.difficulty });
    }
    if (source.kind !== 'upstream' || !v.meetsUpstream) return;
    const session = rec.session;
    source
      .submit({ jobId: rec.sourceJobId, extranonce2: upstreamEn2, ntime: u32Hex(v.ntime), nonce: u32Hex(v.nonce), versionBits })
      .then((o) => {
        if (this.o.session() !== session && !o.accepted) log.debug({ worker }, 'upstream rejected a share of an earlier session');
        stats.upstream(worker, o.accepted, o.code, o.message);
        if (!o.accepted) log.warn({ worker, code: o.code, reason: o.message }, 'pool rejected a share');
      })
      .catch((err: Error) => log.error({ err }, 'upstream submit failed'));
  }
}

/** A miner's version bits as 8 hex digits (undefined when it rolled none). */
export function versionBitsHex(bits: string | undefined): string | undefined {
  return bits === undefined ? undefined : u32Hex(parseU32Hex(bits, 'version_bits'));
}

/**
 * Share validation (pure): the hub re-assembles the header of every share, from a local miner
 * or from its own threads, and checks it before it counts or goes upstream.
 */
import { type InputError, assembleHeader, difficultyToTarget, hashDifficulty, hashToBigInt, headerHash, parseU32Hex, type StratumJob } from '../core/index.js';

export const SHARE_ERR = { OTHER: 20, STALE: 21, DUPLICATE: 22, LOW_DIFFICULTY: 23, UNAUTHORIZED: 24, NOT_SUBSCRIBED: 25 } as const;

/** A job as the manager keeps it. */
export interface JobRecord {
  /** the id miners and hub units use */
  id: string;
  job: StratumJob;
  /** the id the source (pool) gave it */
  sourceJobId: string;
  /** the source session it belongs to (a new pool session makes it stale) */
  session: number;
  ntime: number;
  networkTarget: bigint;
  /** the upstream share target in force when the job arrived */
  upstreamTarget: bigint;
  createdAt: number;
  /** keys of accepted shares, for duplicate detection */
  seen: Set<string>;
}

export interface ShareInput {
  extranonce1: string;
  extranonce2: string;
  /** the extranonce2 size the miner was given */
  extranonce2Size: number;
  ntime: string;
  nonce: string | number;
  versionBits?: string;
  versionMask: number;
  /** the share target the miner works at */
  target: bigint;
}

export interface ValidateOptions {
  /** seconds a share's ntime may be ahead of the job's (default 7200, Bitcoin's future limit) */
  ntimeWindowS?: number;
  /** cap on remembered shares per job (default 500,000) */
  maxSeen?: number;
}

export type Validation =
  | {
      ok: true;
      header: Uint8Array;
      hashRaw: Uint8Array;
      /** difficulty of the hash */
      difficulty: number;
      version: number;
      ntime: number;
      nonce: number;
      meetsUpstream: boolean;
      isBlock: boolean;
      key: string;
    }
  | { ok: false; code: number; message: string };

const EN2_RE = /^[0-9a-fA-F]*$/;

export function validateShare(rec: JobRecord, s: ShareInput, opts: ValidateOptions = {}): Validation {
  if (typeof s.extranonce2 !== 'string' || !EN2_RE.test(s.extranonce2) || s.extranonce2.length !== s.extranonce2Size * 2) {
    return { ok: false, code: SHARE_ERR.OTHER, message: `incorrect size of extranonce2: expected ${s.extranonce2Size} bytes` };
  }
  let ntime: number;
  let nonce: number;
  let vbits: number | undefined;
  try {
    ntime = parseU32Hex(s.ntime, 'ntime');
    nonce = typeof s.nonce === 'number' ? s.nonce >>> 0 : parseU32Hex(s.nonce, 'nonce');
    vbits = s.versionBits === undefined ? undefined : parseU32Hex(s.versionBits, 'version_bits');
  } catch (err) {
    return { ok: false, code: SHARE_ERR.OTHER, message: (err as InputError).message };
  }
  const window = opts.ntimeWindowS ?? 7200;
  if (ntime < rec.ntime || ntime > rec.ntime + window) {
    return { ok: false, code: SHARE_ERR.OTHER, message: 'ntime out of range' };
  }
  if (vbits !== undefined && (vbits & ~s.versionMask) >>> 0 !== 0) {
    return {
      ok: false,
      code: SHARE_ERR.OTHER,
      message: s.versionMask ? 'version bits outside the negotiated mask' : 'version rolling was not negotiated (mining.configure)',
    };
  }
  const key = `${s.extranonce1}:${s.extranonce2.toLowerCase()}:${ntime}:${nonce}:${vbits ?? 0}`;
  if (rec.seen.has(key)) return { ok: false, code: SHARE_ERR.DUPLICATE, message: 'duplicate share' };
  const a = assembleHeader(rec.job, {
    extranonce1: s.extranonce1,
    extranonce2: s.extranonce2,
    ntime: ntime.toString(16),
    versionBits: vbits === undefined ? undefined : vbits.toString(16),
    versionMask: s.versionMask,
    nonce,
  });
  const hashRaw = headerHash(a.header);
  const h = hashToBigInt(hashRaw);
  if (h > s.target) {
    return { ok: false, code: SHARE_ERR.LOW_DIFFICULTY, message: `low difficulty share (${fmt(hashDifficulty(hashRaw))})` };
  }
  if (rec.seen.size < (opts.maxSeen ?? 500_000)) rec.seen.add(key);
  return {
    ok: true,
    header: a.header,
    hashRaw,
    difficulty: hashDifficulty(hashRaw),
    version: a.version,
    ntime,
    nonce,
    meetsUpstream: h <= rec.upstreamTarget,
    isBlock: h <= rec.networkTarget,
    key,
  };
}

/** The easiest target a miner may be held to: its difficulty, or the previous one during the grace period. */
export function shareTarget(difficulty: number, previous: number | null): { target: bigint; credited: number } {
  const d = previous !== null && previous < difficulty ? previous : difficulty;
  return { target: difficultyToTarget(d), credited: d };
}

function fmt(d: number): string {
  return d >= 1 ? d.toFixed(2) : d.toPrecision(3);
}

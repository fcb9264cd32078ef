/**
 * The hub threads' work units: slot 0 of the extranonce2 space, nonce ranges in order, the next
 * extranonce2 when a header's 2^32 nonces are given out. No I/O.
 */
import { assembleHeader } from '../core/index.js';
import type { WorkUnit } from '../hashpool/index.js';
import { prefixHex, type Layout } from './slots.js';
import type { JobRecord } from './validate.js';

export class HubUnits {
  private en2 = 0n;
  private nonce = 0;
  private header: { en2: string; header: Uint8Array } | null = null;

  /** what the cursor searches: the job's content and the layout (not its id) */
  private key = '';

  /**
   * A new job or session: the next unit starts again at the first extranonce2, unless it is the
   * job already being searched sent again (a new difficulty re-sends the current job under a new
   * id, a keepalive or a resume the same job): then it goes on where it stopped, so no nonce is
   * hashed twice (a duplicate share).
   */
  reset(): void {
    this.header = null;
  }

  /** The next unit of `rec` (null when there is no job, or its hub space is searched). */
  next(rec: JobRecord | null, layout: Layout | null, target: bigint, unitNonces: number): WorkUnit | null {
    if (!rec || !layout || layout.session !== rec.session) return null;
    const counterBytes = layout.extranonce2Size - layout.prefixBytes;
    if (!this.header) {
      const key = searchKey(rec, layout);
      if (key !== this.key) {
        this.key = key;
        this.en2 = 0n;
        this.nonce = 0;
      }
    }
    if (this.nonce >= 2 ** 32) {
      this.en2++;
      this.nonce = 0;
      this.header = null;
    }
    if (this.en2 >= 1n << BigInt(8 * counterBytes)) return null; // this job's hub space is searched
    if (!this.header) {
      const en2 = prefixHex(0, layout.prefixBytes) + counterHex(this.en2, counterBytes);
      const a = assembleHeader(rec.job, { extranonce1: layout.extranonce1, extranonce2: en2 });
      this.header = { en2, header: a.header };
    }
    const start = this.nonce;
    const count = Math.min(unitNonces, 2 ** 32 - start);
    this.nonce += count;
    return { jobId: rec.id, extranonce2: this.header.en2, header: this.header.header, target, start, count, meta: { session: rec.session } };
  }
}

/** Everything that makes the headers of a job: equal keys, equal headers for every extranonce2 and nonce. */
function searchKey(rec: JobRecord, layout: Layout): string {
  const j = rec.job;
  return [
    rec.session,
    layout.extranonce1,
    layout.extranonce2Size,
    layout.prefixBytes,
    j.prevhash,
    j.coinb1,
    j.coinb2,
    j.merkleBranch.join(','),
    j.version,
    j.nbits,
    j.ntime,
  ].join('|');
}

function counterHex(n: bigint, bytes: number): string {
  if (bytes === 0) return '';
  return n.toString(16).padStart(bytes * 2, '0');
}

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

  /** Starts again at the first extranonce2 (a new job or session). */
  reset(): void {
    this.en2 = 0n;
    this.nonce = 0;
    this.header = null;
  }

  /** The next unit of `rec` (null when there is no job, or its hub space is searched). */
  next(rec: JobRecord | null, layout: Layout | null, target: bigint, unitNonces: number): WorkUnit | null {
    if (!rec || !layout || layout.session !== rec.session) return null;
    const counterBytes = layout.extranonce2Size - layout.prefixBytes;
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

function counterHex(n: bigint, bytes: number): string {
  if (bytes === 0) return '';
  return n.toString(16).padStart(bytes * 2, '0');
}

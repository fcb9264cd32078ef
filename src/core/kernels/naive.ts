import { sha256 } from '@noble/hashes/sha2.js';
import type { ScanKernel } from './types.js';

/**
 * The naive baseline for benchmarks: two @noble/hashes sha256 calls per nonce on the whole
 * header, no midstate. Never chosen for mining.
 */
export function createNaiveKernel(): ScanKernel {
  return {
    name: 'naive',
    detail: 'two @noble/hashes sha256 calls per nonce, no midstate',
    scan(header80, start, count, topWord, maxCandidates) {
      const h = Uint8Array.from(header80);
      const dv = new DataView(h.buffer);
      const out: number[] = [];
      const end = start + count;
      for (let n = start; n < end; n++) {
        dv.setUint32(76, n, true);
        const d = sha256(sha256(h));
        const hi = ((d[31] << 24) | (d[30] << 16) | (d[29] << 8) | d[28]) >>> 0;
        if (hi <= topWord >>> 0) {
          out.push(n >>> 0);
          if (out.length >= maxCandidates) break;
        }
      }
      return out;
    },
  };
}

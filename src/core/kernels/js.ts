import { SHA256_IV, SHA256_K, midstate } from '../sha.js';
import type { ScanKernel } from './types.js';

const K = Int32Array.from(SHA256_K);
const IV = Int32Array.from(SHA256_IV);

/**
 * The JavaScript kernel: the first 64 header bytes are hashed once per call (midstate), the first
 * three rounds of the second block do not depend on the nonce and are hashed once too, and the
 * second SHA-256 stops after 61 rounds when the top 32 bits of the result already miss the target.
 * No allocation inside the nonce loop.
 */
export function createJsKernel(): ScanKernel {
  const w = new Int32Array(64);
  const v = new Int32Array(64);
  return {
    name: 'js',
    detail: 'midstate, 3 precomputed rounds, early exit after round 61',
    scan(header80, start, count, topWord, maxCandidates) {
      const out: number[] = [];
      if (count <= 0) return out;
      const mid = Int32Array.from(midstate(header80));
      const dv = new DataView(header80.buffer, header80.byteOffset, 80);
      w[0] = dv.getInt32(64, false);
      w[1] = dv.getInt32(68, false);
      w[2] = dv.getInt32(72, false);
      w[4] = 0x80000000 | 0;
      for (let i = 5; i < 15; i++) w[i] = 0;
      w[15] = 640;
      // W16, W17 do not depend on W3 (the nonce)
      w[16] = (s1(w[14]) + w[9] + s0(w[1]) + w[0]) | 0;
      w[17] = (s1(w[15]) + w[10] + s0(w[2]) + w[1]) | 0;
      // three nonce-independent rounds of the second block
      let a = mid[0], b = mid[1], c = mid[2], d = mid[3], e = mid[4], f = mid[5], g = mid[6], h = mid[7];
      for (let i = 0; i < 3; i++) {
        const t1 = (h + S1(e) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const t2 = (S0(a) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      const p0 = a, p1 = b, p2 = c, p3 = d, p4 = e, p5 = f, p6 = g, p7 = h;
      const m0 = mid[0], m1 = mid[1], m2 = mid[2], m3 = mid[3], m4 = mid[4], m5 = mid[5], m6 = mid[6], m7 = mid[7];
      const top = topWord >>> 0;
      const end = start + count;
      v[8] = 0x80000000 | 0;
      for (let i = 9; i < 15; i++) v[i] = 0;
      v[15] = 256;

      for (let n = start; n < end; n++) {
        const nonceBE = ((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24);
        w[3] = nonceBE;
        for (let i = 18; i < 64; i++) {
          w[i] = (s1(w[i - 2]) + w[i - 7] + s0(w[i - 15]) + w[i - 16]) | 0;
        }
        a = p0; b = p1; c = p2; d = p3; e = p4; f = p5; g = p6; h = p7;
        for (let i = 3; i < 64; i++) {
          const t1 = (h + S1(e) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
          const t2 = (S0(a) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
          h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
        }
        v[0] = (m0 + a) | 0; v[1] = (m1 + b) | 0; v[2] = (m2 + c) | 0; v[3] = (m3 + d) | 0;
        v[4] = (m4 + e) | 0; v[5] = (m5 + f) | 0; v[6] = (m6 + g) | 0; v[7] = (m7 + h) | 0;
        for (let i = 16; i < 61; i++) {
          v[i] = (s1(v[i - 2]) + v[i - 7] + s0(v[i - 15]) + v[i - 16]) | 0;
        }
        a = IV[0]; b = IV[1]; c = IV[2]; d = IV[3]; e = IV[4]; f = IV[5]; g = IV[6]; h = IV[7];
        for (let i = 0; i < 61; i++) {
          const t1 = (h + S1(e) + ((e & f) ^ (~e & g)) + K[i] + v[i]) | 0;
          const t2 = (S0(a) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
          h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
        }
        // after 61 rounds, e is the final h: H7 = IV7 + e. The hash's top 32 bits (little-endian
        // reading) are H7 byte-swapped.
        const h7 = (IV[7] + e) | 0;
        const hi = (((h7 & 0xff) << 24) | ((h7 & 0xff00) << 8) | ((h7 >>> 8) & 0xff00) | (h7 >>> 24)) >>> 0;
        if (hi <= top) {
          out.push(n >>> 0);
          if (out.length >= maxCandidates) break;
        }
      }
      return out;
    },
  };
}

function s0(x: number): number {
  return ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
}
function s1(x: number): number {
  return ((x >>> 17) | (x << 15)) ^ ((x >>> 19) | (x << 13)) ^ (x >>> 10);
}
function S0(x: number): number {
  return ((x >>> 2) | (x << 30)) ^ ((x >>> 13) | (x << 19)) ^ ((x >>> 22) | (x << 10));
}
function S1(x: number): number {
  return ((x >>> 6) | (x << 26)) ^ ((x >>> 11) | (x << 21)) ^ ((x >>> 25) | (x << 7));
}

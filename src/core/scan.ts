import { InputError } from './errors.js';
import { displayHash, headerHash, withNonce } from './header.js';
import type { ScanKernel } from './kernels/types.js';
import { hashDifficulty, hashToBigInt } from './target.js';

export interface Find {
  nonce: number;
  /** raw sha256d of the header with this nonce */
  hashRaw: Uint8Array;
  /** display order hex */
  hash: string;
  difficulty: number;
}

export const MAX_NONCE_COUNT = 2 ** 32;

export function checkRange(start: number, count: number): void {
  if (!Number.isInteger(start) || start < 0 || start > 0xffffffff) {
    throw new InputError(`start nonce must be an integer in 0..4294967295, got ${start}`, 'start');
  }
  if (!Number.isInteger(count) || count < 0 || start + count > MAX_NONCE_COUNT) {
    throw new InputError(`count must be an integer with start + count <= 2^32, got start ${start} count ${count}`, 'count');
  }
}

/** The top 32 bits of a 256-bit target, for the kernels' quick compare. */
export function topWordOf(target: bigint): number {
  const t = target >> 224n;
  return t > 0xffffffffn ? 0xffffffff : Number(t);
}

/**
 * Scans with a kernel and re-verifies every candidate with @noble/hashes: only nonces whose
 * sha256d really meets the target are returned.
 */
export function verifiedScan(kernel: ScanKernel, header80: Uint8Array, start: number, count: number, target: bigint, maxFinds = 1_000_000): Find[] {
  checkRange(start, count);
  if (header80.length !== 80) throw new InputError(`header: expected 80 bytes, got ${header80.length}`, 'header');
  const candidates = kernel.scan(header80, start, count, topWordOf(target), maxFinds * 4 + 16);
  return verifyCandidates(header80, candidates, target, maxFinds);
}

export function verifyCandidates(header80: Uint8Array, candidates: number[], target: bigint, maxFinds = Infinity): Find[] {
  const finds: Find[] = [];
  for (const nonce of candidates) {
    const hashRaw = headerHash(withNonce(header80, nonce));
    if (hashToBigInt(hashRaw) <= target) {
      finds.push({ nonce, hashRaw, hash: displayHash(hashRaw), difficulty: hashDifficulty(hashRaw) });
      if (finds.length >= maxFinds) break;
    }
  }
  return finds;
}

import { InputError } from './errors.js';

/** diff-1 target: 0x00000000FFFF0000…0000 = 0xFFFF * 2^208. */
export const DIFF1 = 0xffffn << 208n;
export const MAX_TARGET = (1n << 256n) - 1n;

/** A hash (raw digest bytes, as SHA-256 outputs them) read as a little-endian 256-bit integer. */
export function hashToBigInt(hashRaw: Uint8Array): bigint {
  let v = 0n;
  for (let i = hashRaw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(hashRaw[i]);
  return v;
}

/** A target as 32 bytes in the same little-endian order as a raw hash (what the kernels compare against). */
export function targetToBytesLE(target: bigint): Uint8Array {
  if (target < 0n || target > MAX_TARGET) throw new InputError('target out of range');
  const out = new Uint8Array(32);
  let t = target;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

/** A target written as 64 hex digits, big-endian (the usual display form). */
export function targetToHex(target: bigint): string {
  return target.toString(16).padStart(64, '0');
}

export function parseTargetHex(hex: string, field = 'target'): bigint {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{1,64}$/.test(h)) throw new InputError(`${field}: expected 1 to 64 hex digits (a 256-bit big-endian target)`, field);
  return BigInt(`0x${h}`);
}

/** Does the raw hash meet (is <=) the target? */
export function meetsTarget(hashRaw: Uint8Array, target: bigint): boolean {
  return hashToBigInt(hashRaw) <= target;
}

/** Expands a compact nBits value into its target. */
export function nbitsToTarget(nbits: number): bigint {
  const n = nbits >>> 0;
  const exp = n >>> 24;
  const mant = n & 0x007fffff;
  if (n & 0x00800000) throw new InputError(`nbits ${n.toString(16)}: negative target`, 'nbits');
  const m = BigInt(mant);
  const t = exp <= 3 ? m >> BigInt(8 * (3 - exp)) : m << BigInt(8 * (exp - 3));
  if (t > MAX_TARGET) throw new InputError(`nbits ${n.toString(16)}: target overflows 256 bits`, 'nbits');
  return t;
}

/** Encodes a target in compact nBits form (rounding down, as Bitcoin Core does). */
export function targetToNbits(target: bigint): number {
  if (target <= 0n) return 0;
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mant = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (mant & 0x00800000) {
    mant >>>= 8;
    size++;
  }
  return ((size << 24) | mant) >>> 0;
}

const SCALE_BITS = 128n;
const SCALE = 2 ** 128;

/** Pool difficulty -> share target (DIFF1 / difficulty), for fractional difficulties too. */
export function difficultyToTarget(difficulty: number): bigint {
  if (!Number.isFinite(difficulty) || difficulty <= 0) {
    throw new InputError(`difficulty must be a positive number, got ${difficulty}`, 'difficulty');
  }
  const scaled = BigInt(Math.round(difficulty * SCALE));
  if (scaled === 0n) return MAX_TARGET;
  const t = (DIFF1 << SCALE_BITS) / scaled;
  return t > MAX_TARGET ? MAX_TARGET : t;
}

/** Share target -> difficulty (DIFF1 / target). */
export function targetToDifficulty(target: bigint): number {
  if (target <= 0n) return Infinity;
  return Number((DIFF1 << SCALE_BITS) / target) / SCALE;
}

/** Difficulty of a hash: DIFF1 / hash, the number pools call the share's difficulty. */
export function hashDifficulty(hashRaw: Uint8Array): number {
  return targetToDifficulty(hashToBigInt(hashRaw));
}

/** Network difficulty of a block with these nBits. */
export function nbitsToDifficulty(nbits: number): number {
  return targetToDifficulty(nbitsToTarget(nbits));
}

/** Hashrate (H/s) from credited share difficulty over a time span: sum(diff) * 2^32 / seconds. */
export function hashrateFromShares(sumDifficulty: number, seconds: number): number {
  if (!(seconds > 0)) return 0;
  return (sumDifficulty * 2 ** 32) / seconds;
}

/** Expected hashes to find one share or block at this difficulty. */
export function expectedHashes(difficulty: number): number {
  return difficulty * 2 ** 32;
}

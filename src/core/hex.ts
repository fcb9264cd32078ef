import { InputError } from './errors.js';

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Parses hex of an exact byte length (or any even length when `bytes` is undefined). */
export function hexToBytes(hex: string, field: string, bytes?: number): Uint8Array {
  if (typeof hex !== 'string') throw new InputError(`${field}: expected a hex string`, field);
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (!HEX_RE.test(h)) throw new InputError(`${field}: not hex: "${truncate(hex)}"`, field);
  if (h.length % 2 !== 0) throw new InputError(`${field}: odd number of hex digits (${h.length})`, field);
  if (bytes !== undefined && h.length !== bytes * 2) {
    throw new InputError(`${field}: expected ${bytes} bytes (${bytes * 2} hex digits), got ${h.length / 2} bytes`, field);
  }
  return Buffer.from(h, 'hex');
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * Parses a 32-bit big-endian hex field as Stratum sends it (version, nbits, ntime, nonce).
 * Lenient on input: real miners and pools drop leading zeros (NerdMiner's nonce, public-pool's
 * version), so 1 to 8 digits are accepted and left-padded.
 */
export function parseU32Hex(hex: string, field: string): number {
  if (typeof hex !== 'string' || hex.length === 0 || hex.length > 8 || !HEX_RE.test(hex)) {
    throw new InputError(`${field}: expected 1 to 8 hex digits, got "${truncate(String(hex))}"`, field);
  }
  return parseInt(hex, 16) >>> 0;
}

/** Formats a u32 as 8 big-endian hex digits, the way it is emitted on the wire. */
export function u32Hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export function reverseBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[b.length - 1 - i];
  return out;
}

/** Reverses the byte order inside every 4-byte word (Stratum's prevhash word order <-> header bytes). */
export function swapWords(b: Uint8Array): Uint8Array {
  if (b.length % 4 !== 0) throw new InputError('swapWords: length must be a multiple of 4');
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += 4) {
    out[i] = b[i + 3];
    out[i + 1] = b[i + 2];
    out[i + 2] = b[i + 1];
    out[i + 3] = b[i];
  }
  return out;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

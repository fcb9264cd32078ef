import { InputError } from './errors.js';
import { bytesToHex, hexToBytes, parseU32Hex, reverseBytes, swapWords } from './hex.js';
import { sha256d } from './sha.js';

/** A job as `mining.notify` carries it (hex strings exactly as on the wire). */
export interface StratumJob {
  jobId: string;
  /** previous block hash in Stratum's word order (each 4-byte word of the header bytes reversed) */
  prevhash: string;
  coinb1: string;
  coinb2: string;
  merkleBranch: string[];
  /** big-endian hex u32 */
  version: string;
  nbits: string;
  ntime: string;
  cleanJobs: boolean;
}

/** The pieces that turn a job into one header: the extranonces, and optionally ntime and rolled version bits. */
export interface HeaderParts {
  extranonce1: string;
  extranonce2: string;
  /** big-endian hex u32; the job's ntime when absent */
  ntime?: string;
  /** big-endian hex u32, the miner's version bits (BIP310) */
  versionBits?: string;
  /** the negotiated version-rolling mask; with versionBits */
  versionMask?: number;
  /** big-endian hex u32, or a number */
  nonce?: string | number;
}

export const MAX_MERKLE_BRANCHES = 32;

export function coinbaseTx(job: Pick<StratumJob, 'coinb1' | 'coinb2'>, extranonce1: string, extranonce2: string): Uint8Array {
  const c1 = hexToBytes(job.coinb1, 'coinb1');
  const e1 = hexToBytes(extranonce1, 'extranonce1');
  const e2 = hexToBytes(extranonce2, 'extranonce2');
  const c2 = hexToBytes(job.coinb2, 'coinb2');
  const out = new Uint8Array(c1.length + e1.length + e2.length + c2.length);
  out.set(c1, 0);
  out.set(e1, c1.length);
  out.set(e2, c1.length + e1.length);
  out.set(c2, c1.length + e1.length + e2.length);
  return out;
}

/** Merkle root (raw byte order) from the coinbase hash and the branch list of a job. */
export function merkleRoot(coinbaseHashRaw: Uint8Array, branches: readonly string[]): Uint8Array {
  if (!Array.isArray(branches)) throw new InputError('merkle_branch: expected an array of hex strings', 'merkle_branch');
  if (branches.length > MAX_MERKLE_BRANCHES) {
    throw new InputError(`merkle_branch: ${branches.length} branches is more than ${MAX_MERKLE_BRANCHES}`, 'merkle_branch');
  }
  let root = coinbaseHashRaw;
  const buf = new Uint8Array(64);
  branches.forEach((b, i) => {
    buf.set(root, 0);
    buf.set(hexToBytes(b, `merkle_branch[${i}]`, 32), 32);
    root = sha256d(buf);
  });
  return root;
}

/** Header version after BIP310 version rolling: (job & ~mask) | (bits & mask). */
export function rollVersion(jobVersion: number, versionBits: number, mask: number): number {
  return ((jobVersion & ~mask) | (versionBits & mask)) >>> 0;
}

export interface AssembledHeader {
  header: Uint8Array;
  coinbase: Uint8Array;
  merkleRootRaw: Uint8Array;
  version: number;
  ntime: number;
  nbits: number;
  nonce: number;
}

/** Builds the 80-byte header a miner hashes for this job and these extranonces. */
export function assembleHeader(job: StratumJob, parts: HeaderParts): AssembledHeader {
  const coinbase = coinbaseTx(job, parts.extranonce1, parts.extranonce2);
  const root = merkleRoot(sha256d(coinbase), job.merkleBranch);
  let version = parseU32Hex(job.version, 'version');
  if (parts.versionBits !== undefined) {
    version = rollVersion(version, parseU32Hex(parts.versionBits, 'version_bits'), parts.versionMask ?? 0);
  }
  const ntime = parseU32Hex(parts.ntime ?? job.ntime, 'ntime');
  const nbits = parseU32Hex(job.nbits, 'nbits');
  const nonce = typeof parts.nonce === 'number' ? parts.nonce >>> 0 : parts.nonce ? parseU32Hex(parts.nonce, 'nonce') : 0;
  const prev = swapWords(hexToBytes(job.prevhash, 'prevhash', 32));
  const header = new Uint8Array(80);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, version, true);
  header.set(prev, 4);
  header.set(root, 36);
  dv.setUint32(68, ntime, true);
  dv.setUint32(72, nbits, true);
  dv.setUint32(76, nonce, true);
  return { header, coinbase, merkleRootRaw: root, version, ntime, nbits, nonce };
}

export interface HeaderFields {
  version: number;
  prevhashRaw: Uint8Array;
  merkleRootRaw: Uint8Array;
  ntime: number;
  nbits: number;
  nonce: number;
}

export function parseHeader(header: Uint8Array): HeaderFields {
  if (header.length !== 80) throw new InputError(`header: expected 80 bytes, got ${header.length}`, 'header');
  const dv = new DataView(header.buffer, header.byteOffset, 80);
  return {
    version: dv.getUint32(0, true),
    prevhashRaw: header.slice(4, 36),
    merkleRootRaw: header.slice(36, 68),
    ntime: dv.getUint32(68, true),
    nbits: dv.getUint32(72, true),
    nonce: dv.getUint32(76, true),
  };
}

/** A copy of the header with the nonce field set. */
export function withNonce(header: Uint8Array, nonce: number): Uint8Array {
  const h = Uint8Array.from(header);
  new DataView(h.buffer).setUint32(76, nonce >>> 0, true);
  return h;
}

/** sha256d of a header, raw order. */
export function headerHash(header: Uint8Array): Uint8Array {
  if (header.length !== 80) throw new InputError(`header: expected 80 bytes, got ${header.length}`, 'header');
  return sha256d(header);
}

/** Display order (byte-reversed hex), as explorers and RPC show block hashes. */
export function displayHash(hashRaw: Uint8Array): string {
  return bytesToHex(reverseBytes(hashRaw));
}

/** Little-endian extranonce2 counter of `size` bytes, as ESP-Miner generates it. */
export function extranonce2Hex(counter: bigint | number, size: number): string {
  if (!Number.isInteger(size) || size < 1 || size > 16) throw new InputError(`extranonce2 size ${size} out of range 1..16`, 'extranonce2_size');
  let c = BigInt(counter);
  if (c < 0n || c >= 1n << BigInt(8 * size)) throw new InputError(`extranonce2 ${counter} does not fit in ${size} bytes`, 'extranonce2');
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(c & 0xffn);
    c >>= 8n;
  }
  return bytesToHex(out);
}

/**
 * Worker names on the local endpoint (pure): one canonical form per name, so variants of one
 * name ("Rig 1", " rig  1", "ｒｉｇ 1", "bc1q….rig 1") are one worker and one Home Assistant
 * device; and a registry with a hard cap on distinct names, so no one can make the hub create
 * devices without bound.
 */

/** Longest canonical name (characters); longer names are cut (the tail does not make a new name). */
export const MAX_NAME = 64;
/** Longest raw name accepted at all (bounds the work of normalising hostile input). */
export const MAX_RAW_NAME = 256;
/** Names a miner may not take: the hub's own threads are accounted as "hub". */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['hub']);

export type NameResult = { ok: true; name: string } | { ok: false; reason: string };

// A Bitcoin address as the user part of `address.worker` (pools' convention): bech32 (mainnet,
// testnet, regtest) or base58 (P2PKH/P2SH, mainnet and testnet).
const BECH32_ADDR = /^(bc|tb|bcrt)1[02-9ac-hj-np-z]{8,87}$/i;
const BASE58_ADDR = /^[123mn][1-9A-HJ-NP-Za-km-z]{25,34}$/;

/**
 * The canonical form of a worker name: Unicode NFKC, invisible and control characters removed,
 * runs of white space as one space, trimmed, lower case, at most MAX_NAME characters. In
 * `address.worker` (the pool convention) the address is dropped: on the local endpoint it pays
 * nothing, and the worker part names the device; an address alone stays the name.
 */
export function normalizeWorkerName(raw: unknown): NameResult {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'worker name must be a non-empty string' };
  if (raw.length > MAX_RAW_NAME) return { ok: false, reason: `worker name must be at most ${MAX_RAW_NAME} characters` };
  let s = canonical(raw);
  const dot = s.indexOf('.');
  if (dot > 0) {
    const head = s.slice(0, dot);
    const rest = s.slice(dot + 1).trim();
    if (isAddress(head) && rest) s = rest;
  } else if (dot === 0) {
    // ".rig" (an empty address part): the worker part is the name
    s = s.slice(1).trim();
  }
  s = [...s.toLowerCase()].slice(0, MAX_NAME).join('').trim();
  if (!s) return { ok: false, reason: 'worker name is empty (only spaces or invisible characters)' };
  if (RESERVED_NAMES.has(s)) return { ok: false, reason: `worker name "${s}" is reserved for the hub's own threads; choose another` };
  return { ok: true, name: s };
}

function canonical(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\s\p{Z}]+/gu, ' ')
    .replace(/\p{C}+/gu, '') // control, format (zero-width), unassigned, private use
    .replace(/ {2,}/g, ' ')
    .trim();
}

function isAddress(s: string): boolean {
  return BECH32_ADDR.test(s) || BASE58_ADDR.test(s);
}

export type AdmitResult = { ok: true; fresh: boolean } | { ok: false; reason: string };

/**
 * Distinct worker names the endpoint will take, capped. A name counts once it is authorized on a
 * live connection (pending) and for good once it has a share accepted (it has a device then);
 * a pending name that never had a share is forgotten when its last connection closes.
 */
export class WorkerNames {
  private readonly credited = new Set<string>();
  /** name -> ids of the live sessions that authorized it (names without a share yet) */
  private readonly pending = new Map<string, Set<number>>();

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`worker name cap must be a whole number >= 1, got ${cap}`);
  }

  /** Distinct names counted against the cap. */
  get size(): number {
    return this.credited.size + this.pending.size;
  }

  /** Names with an accepted share (the ones that have a device). */
  get devices(): number {
    return this.credited.size;
  }

  has(name: string): boolean {
    return this.credited.has(name) || this.pending.has(name);
  }

  /** A session authorizes a (canonical) name. */
  admit(name: string, session: number): AdmitResult {
    if (this.credited.has(name)) return { ok: true, fresh: false };
    const p = this.pending.get(name);
    if (p) {
      p.add(session);
      return { ok: true, fresh: false };
    }
    if (this.size >= this.cap) {
      return {
        ok: false,
        reason: `worker limit reached: ${this.cap} worker names are in use on this hub; reuse one of them, or raise max_worker_devices (--max-worker-devices)`,
      };
    }
    this.pending.set(name, new Set([session]));
    return { ok: true, fresh: true };
  }

  /** A share of this name was accepted; true the first time (the name has a device from now on). */
  credit(name: string): boolean {
    if (this.credited.has(name)) return false;
    this.pending.delete(name);
    this.credited.add(name);
    return true;
  }

  /** A session that authorized this name closed. */
  leave(name: string, session: number): void {
    const p = this.pending.get(name);
    if (!p) return;
    p.delete(session);
    if (p.size === 0) this.pending.delete(name);
  }
}

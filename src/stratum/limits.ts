/**
 * Admission of connections to the local endpoint (pure bookkeeping): sockets that have not
 * subscribed yet ("pending") are capped per source address and in total, separately from the
 * cap on working miners, so silent sockets from one peer cannot keep household miners out; the
 * working miners are capped in total and per source address as well.
 */
import net from 'node:net';

export interface AdmissionLimits {
  /** subscribed connections (working miners) at most */
  maxMiners: number;
  /** connections that have not subscribed yet, in total */
  maxPending: number;
  /** connections that have not subscribed yet, from one source address (an IPv6 /64 counts as one) */
  maxPendingPerAddress: number;
  /** working miners from one source address (an IPv6 /64 counts as one) */
  maxMinersPerAddress: number;
}

export type PromoteVerdict = { ok: true } | { ok: false; why: 'miners' | 'address' };

export type OpenVerdict = { ok: true; key: string } | { ok: false; why: 'address' | 'pending' };

/**
 * The source a limit applies to: an IPv4 address (also when IPv4-mapped), or the /64 prefix of
 * an IPv6 address (one host usually holds a whole /64).
 */
export function addressKey(address: string): string {
  const a = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
  if (!net.isIPv6(a)) return a;
  return `${expand6(a).slice(0, 4).join(':')}::/64`;
}

function expand6(a: string): string[] {
  const zone = a.indexOf('%');
  const s = zone >= 0 ? a.slice(0, zone) : a;
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // an embedded IPv4 tail counts as two groups; the /64 prefix never reaches it
  const groups = tail === null ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return groups.map((g) => (g.includes('.') ? g : parseInt(g || '0', 16).toString(16)));
}

export class Admission {
  private pendingTotal = 0;
  private minerCount = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly minersPerAddress = new Map<string, number>();

  constructor(readonly limits: AdmissionLimits) {}

  get pending(): number {
    return this.pendingTotal;
  }

  get miners(): number {
    return this.minerCount;
  }

  /** Source addresses with pending sockets now (bounded by maxPending). */
  get addresses(): number {
    return this.perAddress.size;
  }

  /** Source addresses with miners now (bounded by maxMiners). */
  get minerAddresses(): number {
    return this.minersPerAddress.size;
  }

  pendingFrom(key: string): number {
    return this.perAddress.get(key) ?? 0;
  }

  /** A new socket: admitted as pending, or refused. */
  open(address: string): OpenVerdict {
    const key = addressKey(address);
    if ((this.perAddress.get(key) ?? 0) >= this.limits.maxPendingPerAddress) return { ok: false, why: 'address' };
    if (this.pendingTotal >= this.limits.maxPending) return { ok: false, why: 'pending' };
    this.perAddress.set(key, (this.perAddress.get(key) ?? 0) + 1);
    this.pendingTotal++;
    return { ok: true, key };
  }

  /** A pending socket subscribes: it becomes a miner when there is room (it stays pending otherwise). */
  promote(key: string): PromoteVerdict {
    if (this.minerCount >= this.limits.maxMiners) return { ok: false, why: 'miners' };
    const mine = this.minersPerAddress.get(key) ?? 0;
    if (mine >= this.limits.maxMinersPerAddress) return { ok: false, why: 'address' };
    this.release(key);
    this.minerCount++;
    this.minersPerAddress.set(key, mine + 1);
    return { ok: true };
  }

  /** A pending socket closed. */
  release(key: string): void {
    const n = this.perAddress.get(key);
    if (n === undefined) return;
    if (n <= 1) this.perAddress.delete(key);
    else this.perAddress.set(key, n - 1);
    this.pendingTotal--;
  }

  /** A miner (subscribed) closed. */
  minerGone(key: string): void {
    const n = this.minersPerAddress.get(key);
    if (n === undefined) return;
    if (n <= 1) this.minersPerAddress.delete(key);
    else this.minersPerAddress.set(key, n - 1);
    this.minerCount--;
  }
}

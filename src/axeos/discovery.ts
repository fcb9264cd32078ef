// Finding a miner's AxeOS, as pure functions: which connection addresses may be probed (private
// ranges only; loopback only when a test says so), the probe URL, the MAC/hostname cross-check,
// and the explicit `{"worker": NAME, "axeos_url": URL}` mappings.
import net from 'node:net';
import { z } from 'zod';
import { normalizeAxeosUrl } from './client.js';
import { normalizeMac, type AxeosReading } from './model.js';

/** "::ffff:192.168.1.5" -> "192.168.1.5"; "[fe80::1]" -> "fe80::1"; zone ids dropped; lower case. */
export function normalizeAddress(address: string): string {
  let a = address
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  const pct = a.indexOf('%');
  if (pct >= 0) a = a.slice(0, pct);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? mapped[1]! : a;
}

function v4(a: string): number[] | null {
  if (net.isIPv4(a)) return a.split('.').map(Number);
  return null;
}

/** The first 16 bits of an IPv6 address, or null. */
function v6Head(a: string): number | null {
  if (!net.isIPv6(a)) return null;
  const first = a.startsWith('::') ? '0' : a.split(':')[0]!;
  return parseInt(first || '0', 16);
}

export interface AddressPolicy {
  /** allow 127.0.0.0/8 and ::1 (tests only: a real miner never connects from the hub itself) */
  allowLoopback?: boolean;
}

/**
 * May this connection address be probed? Only 10/8, 172.16/12, 192.168/16 and fc00::/7 (and
 * loopback when allowed): never a public address, link-local, multicast or anything unparsable.
 */
export function isProbeable(address: string, policy: AddressPolicy = {}): boolean {
  const a = normalizeAddress(address);
  const o = v4(a);
  if (o) {
    if (o[0] === 10) return true;
    if (o[0] === 172 && o[1]! >= 16 && o[1]! <= 31) return true;
    if (o[0] === 192 && o[1] === 168) return true;
    if (o[0] === 127) return policy.allowLoopback === true;
    return false;
  }
  if (a === '::1') return policy.allowLoopback === true;
  const h = v6Head(a);
  if (h === null) return false;
  return (h & 0xfe00) === 0xfc00;
}

/** http://ADDRESS[:port] for a probe ([v6] in brackets). */
export function probeUrl(address: string, port = 80): string {
  const a = normalizeAddress(address);
  const host = net.isIPv6(a) ? `[${a}]` : a;
  return port === 80 ? `http://${host}` : `http://${host}:${port}`;
}

/** What the miner itself told about who it is (from its HA device, its mapping, its user agent). */
export interface MinerIdentity {
  mac?: string | null;
  hostname?: string | null;
}

function shortHost(h: string): string {
  return h.trim().toLowerCase().replace(/\.$/, '').split('.')[0]!;
}

/**
 * Does the AxeOS that answered belong to this miner? Only what the miner told is compared: a MAC
 * it told must equal the device's; a hostname it told must equal the device's (case and a
 * domain such as .local aside). A miner that told nothing links by its connection address alone.
 */
export function crossCheck(reading: Pick<AxeosReading, 'mac' | 'hostname'>, told: MinerIdentity): { ok: true; by: string[] } | { ok: false; reason: string } {
  const by: string[] = ['address'];
  const mac = told.mac ? normalizeMac(told.mac) : null;
  if (told.mac && !mac) return { ok: false, reason: `the MAC the miner told (${told.mac}) is not a MAC address` };
  if (mac) {
    if (!reading.mac) return { ok: false, reason: 'the device reports no MAC to compare with the one the miner told' };
    if (reading.mac !== mac) return { ok: false, reason: `MAC differs: the device reports ${reading.mac}, the miner told ${mac}` };
    by.push('mac');
  }
  if (told.hostname) {
    if (!reading.hostname) return { ok: false, reason: 'the device reports no hostname to compare with the one the miner told' };
    if (shortHost(reading.hostname) !== shortHost(told.hostname))
      return { ok: false, reason: `hostname differs: the device reports ${reading.hostname}, the miner told ${told.hostname}` };
    by.push('hostname');
  }
  return { ok: true, by };
}

/** One explicit mapping: the worker's AxeOS lives at this URL (a miner elsewhere or behind a proxy). */
export interface AxeosMapping {
  worker: string;
  url: string;
}

const mappingSchema = z.object({ worker: z.string().trim().min(1).max(255), axeos_url: z.string().max(2048) }).loose();

/**
 * Reads the `axeos_url` entries of `worker_mappings` (other entries are left to the device
 * mapping). Returns the mappings and one clear message per bad entry; never throws.
 */
export function axeosMappings(items: unknown): { mappings: AxeosMapping[]; errors: string[] } {
  const mappings: AxeosMapping[] = [];
  const errors: string[] = [];
  if (!Array.isArray(items)) return { mappings, errors: items === undefined || items === null ? [] : ['worker_mappings must be a list'] };
  const seen = new Set<string>();
  items.slice(0, 1000).forEach((item, i) => {
    if (!item || typeof item !== 'object' || !('axeos_url' in item)) return;
    const r = mappingSchema.safeParse(item);
    if (!r.success) {
      errors.push(`worker_mappings[${i}]: needs worker (a name) and axeos_url (a URL like http://192.168.1.50)`);
      return;
    }
    const u = normalizeAxeosUrl(r.data.axeos_url);
    if (!u.ok) {
      errors.push(`worker_mappings[${i}]: ${u.error}`);
      return;
    }
    if (seen.has(r.data.worker)) {
      errors.push(`worker_mappings[${i}]: ${r.data.worker} has a second axeos_url; the first one counts`);
      return;
    }
    seen.add(r.data.worker);
    mappings.push({ worker: r.data.worker, url: u.url });
  });
  return { mappings, errors };
}

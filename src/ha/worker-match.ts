// Worker matching (pure): which worker (the hub, a configured mapping, a live Stratum client)
// an HA device is, by device id, then MAC, then IP or configuration URL host, then name.
import type { Appliance, DeviceEntry, IdleRules, WorkerMapping } from './types.js';
import { sameName } from './overrides.js';
import { HUB } from './slots.js';

export interface WorkerMatch {
  workerId: string;
  by: NonNullable<Appliance['workerMatchedBy']>;
}

function normMac(mac: string): string {
  return mac.toLowerCase().replace(/[^0-9a-f]/g, '');
}

function hostOf(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function macsOf(dev: DeviceEntry): Set<string> {
  return new Set((dev.connections ?? []).filter((c) => Array.isArray(c) && c[0] === 'mac' && typeof c[1] === 'string').map((c) => normMac(c[1])));
}

function ipsOf(dev: DeviceEntry): Set<string> {
  const ips = new Set(
    (dev.connections ?? []).filter((c) => Array.isArray(c) && (c[0] === 'ip' || c[0] === 'ipv4' || c[0] === 'ipv6')).map((c) => String(c[1])),
  );
  const h = hostOf(dev.configuration_url);
  if (h) ips.add(h);
  return ips;
}

/** The worker a device is, if any: configured mappings first, then live workers, at each step. */
export function matchWorker(dev: DeviceEntry, rules: IdleRules, liveWorkers: readonly WorkerMapping[]): WorkerMatch | undefined {
  if (rules.hub.deviceId && dev.id === rules.hub.deviceId) return { workerId: HUB, by: 'hub' };
  const all = [...rules.workers, ...liveWorkers];
  for (const w of all) if (w.deviceId && w.deviceId === dev.id) return { workerId: w.workerId, by: 'mapping' };
  const macs = macsOf(dev);
  for (const w of all) if (w.mac && macs.has(normMac(w.mac))) return { workerId: w.workerId, by: 'mac' };
  const ips = ipsOf(dev);
  for (const w of all) if (w.ip && ips.has(w.ip)) return { workerId: w.workerId, by: 'ip' };
  for (const w of all) if (w.name && (sameName(w.name, dev.name_by_user) || sameName(w.name, dev.name))) return { workerId: w.workerId, by: 'name' };
  return undefined;
}

/**
 * What a worker computer says about itself: its name and MAC (so the hub links it to the
 * computer's HA device), whether it runs on battery (Linux: /sys/class/power_supply), and whether
 * the rest of the machine needs the CPU (the same meter as the hub's, src/hashpool/cpu-load.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';

/** The computer's host name, as HA integrations usually name its device. */
export function machineName(): string {
  return hostname().split('.')[0] || hostname();
}

/**
 * The MAC of the first non-internal interface that has an address (interfaces sorted by name,
 * so the answer is stable), or null (e.g. a container without one).
 */
export function primaryMac(ifaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string | null {
  for (const name of Object.keys(ifaces).sort()) {
    for (const a of ifaces[name] ?? []) {
      if (!a.internal && a.mac && a.mac !== '00:00:00:00:00:00') return a.mac.toLowerCase();
    }
  }
  return null;
}

export interface PowerSupply {
  name: string;
  /** the kernel's `type`: Mains, Battery, USB, UPS, … */
  type: string;
  /** `online` (mains/USB): 1 when it supplies power */
  online?: boolean;
  /** `status` (batteries): Charging, Discharging, Full, Not charging, Unknown */
  status?: string;
  /** `scope`: Device for a peripheral's battery (a mouse), not the computer's */
  scope?: string;
}

/**
 * On battery, from the power supplies the kernel lists: true when a system battery discharges and
 * no mains or USB supply is online; false on mains; null when the machine has no battery at all.
 */
export function onBattery(supplies: PowerSupply[]): boolean | null {
  const batteries = supplies.filter((s) => s.type === 'Battery' && s.scope !== 'Device');
  if (!batteries.length) return null;
  if (supplies.some((s) => (s.type === 'Mains' || s.type === 'USB') && s.online)) return false;
  return batteries.some((b) => b.status === 'Discharging');
}

/** Reads /sys/class/power_supply (or another root, for tests); [] where there is none (not Linux). */
export function readPowerSupplies(root = '/sys/class/power_supply'): PowerSupply[] {
  let names: string[];
  try {
    names = readdirSync(root).slice(0, 64);
  } catch {
    return [];
  }
  const read = (dir: string, f: string): string | undefined => {
    try {
      return readFileSync(join(dir, f), 'utf8').slice(0, 64).trim();
    } catch {
      return undefined;
    }
  };
  const out: PowerSupply[] = [];
  for (const name of names) {
    const dir = join(root, name);
    const type = read(dir, 'type');
    if (!type) continue;
    const online = read(dir, 'online');
    out.push({ name, type, online: online === undefined ? undefined : online === '1', status: read(dir, 'status'), scope: read(dir, 'scope') });
  }
  return out;
}

export interface YieldRules {
  /** the worker yields while the rest of the machine uses more than this much CPU, % */
  maxLoadPercent: number;
  /** ... and comes back after the load has stayed below for this long, s */
  resumeAfterS: number;
  /** yield while on battery */
  onBattery: boolean;
}

/**
 * The worker's own idle check, fed one sample a second: the reason to yield now, or null.
 * Pure (the caller passes the time, the load and the battery reading).
 */
export class YieldCheck {
  private busySince: number | null = null;
  private quietSince: number | null = null;
  private yielding: string | null = null;

  constructor(private readonly rules: YieldRules) {}

  sample(now: number, otherLoadPercent: number, battery: boolean | null): string | null {
    if (this.rules.onBattery && battery === true) {
      this.quietSince = null;
      return (this.yielding = 'on battery');
    }
    if (otherLoadPercent > this.rules.maxLoadPercent) {
      this.quietSince = null;
      this.busySince ??= now;
      return (this.yielding = `this computer is busy (${Math.round(otherLoadPercent)}% CPU by other programs)`);
    }
    this.busySince = null;
    if (this.yielding === null) return null;
    this.quietSince ??= now;
    if (now - this.quietSince >= this.rules.resumeAfterS * 1000) {
      this.yielding = null;
      this.quietSince = null;
    }
    return this.yielding;
  }
}

// The adapter: reads /sys/class/powercap (or a stand-in root) and keeps the last snapshot, so each
// call gives the hub's measured draw since the call before, or null and an estimate labelled so.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCounter, raplWatts, type PowerFigure, type RaplSnapshot, type RaplZone } from './rapl.js';

export const POWERCAP_ROOT = '/sys/class/powercap';

/** The package zones under `root` (`intel-rapl:N`, not the subzones `intel-rapl:N:M`), or why not. */
export async function readRaplSnapshot(root: string, at: number): Promise<{ snapshot: RaplSnapshot } | { error: string }> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      error: code === 'ENOENT' ? `${root} does not exist (no powercap on this machine or in this container)` : `${root} not readable (${code ?? 'error'})`,
    };
  }
  const packages = names.filter((n) => /^intel-rapl:\d+$/.test(n)).sort();
  if (packages.length === 0) return { error: `no RAPL package zone under ${root}` };
  const zones: RaplZone[] = [];
  for (const zone of packages.slice(0, 64)) {
    const dir = join(root, zone);
    try {
      const [energy, max, name] = await Promise.all([
        readFile(join(dir, 'energy_uj'), 'utf8'),
        readFile(join(dir, 'max_energy_range_uj'), 'utf8'),
        readFile(join(dir, 'name'), 'utf8').catch(() => zone),
      ]);
      const energyUj = parseCounter(energy);
      const maxEnergyRangeUj = parseCounter(max);
      if (energyUj === undefined || maxEnergyRangeUj === undefined) return { error: `${dir}: energy_uj or max_energy_range_uj is not a counter` };
      zones.push({ zone, name: name.trim().slice(0, 40), energyUj, maxEnergyRangeUj });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694)
      return { error: `${dir}/energy_uj not readable (${code ?? 'error'}${code === 'EACCES' ? ': root only since Linux 5.10' : ''})` };
    }
  }
  return { snapshot: { at, zones } };
}

export interface PowercapMeterOptions {
  /** default /sys/class/powercap */
  root?: string;
  /** ms clock (default performance.now) */
  clock?: () => number;
}

/** The hub's own draw: measured from RAPL where readable, else the caller's estimate, labelled so. */
export class PowercapMeter {
  private readonly root: string;
  private readonly clock: () => number;
  private last: RaplSnapshot | null = null;
  /** why the last reading gave no figure (null: it gave one) */
  unavailable: string | null = null;

  constructor(options: PowercapMeterOptions = {}) {
    this.root = options.root ?? POWERCAP_ROOT;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Measured W since the last call, or null (the first call, or powercap absent/unreadable: `unavailable` says why). */
  async read(): Promise<number | null> {
    const r = await readRaplSnapshot(this.root, this.clock());
    if ('error' in r) {
      this.last = null;
      this.unavailable = r.error;
      return null;
    }
    const prev = this.last;
    this.last = r.snapshot;
    if (!prev) {
      this.unavailable = 'first reading: a figure from the next one';
      return null;
    }
    const w = raplWatts(prev, r.snapshot);
    this.unavailable = w.watts === null ? w.why : null;
    return w.watts;
  }

  /** A figure that says where it comes from: the measured one, else `estimateW` labelled estimated with the reason. */
  async figure(estimateW: number, estimateWords = 'estimated from the thread count'): Promise<PowerFigure> {
    const w = await this.read();
    if (w !== null) return { watts: w, how: 'measured', note: `measured: RAPL package power (whole CPU, not only mining)` };
    return { watts: estimateW, how: 'estimated', note: `estimated: ${estimateWords} (${this.unavailable ?? 'no reading'})` };
  }
}

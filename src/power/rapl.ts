// RAPL energy counters (Linux powercap, Intel and AMD Zen) -> watts. Pure: snapshots in, a figure out.
//
// /sys/class/powercap/intel-rapl:N is one CPU package (its subzones intel-rapl:N:M - core, uncore,
// dram - are inside it and not added again). energy_uj counts microjoules and wraps to 0 after
// max_energy_range_uj. Power is the energy between two snapshots over the time between them.

/** One package zone as read. */
export interface RaplZone {
  /** the directory name, e.g. `intel-rapl:0` */
  zone: string;
  /** its `name`, e.g. `package-0` */
  name: string;
  energyUj: number;
  maxEnergyRangeUj: number;
}

export interface RaplSnapshot {
  /** ms (monotonic or wall, the same clock for both snapshots) */
  at: number;
  zones: RaplZone[];
}

/** A watt figure with where it comes from. */
export interface PowerFigure {
  watts: number | null;
  how: 'measured' | 'estimated';
  /** in words: `measured: RAPL package-0 (whole CPU)`, `estimated: 4 threads x 7 W (powercap not readable: ...)` */
  note: string;
}

/** Microjoules from `before` to `after` of one counter, across one wraparound. */
export function energyDeltaUj(before: number, after: number, maxEnergyRangeUj: number): number {
  if (after >= before) return after - before;
  // the counter wrapped (it counts 0 .. max_energy_range_uj)
  return maxEnergyRangeUj > 0 ? maxEnergyRangeUj - before + after : 0;
}

/** Parses one counter file's text (a non-negative integer); undefined when it is not one. */
export function parseCounter(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d{1,20}$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Watts between two snapshots (the packages in both, added up), or null with the reason: too
 * little time, a package missing in one of them, an implausible figure.
 */
export function raplWatts(prev: RaplSnapshot, next: RaplSnapshot): { watts: number | null; why: string } {
  const dtMs = next.at - prev.at;
  if (!(dtMs >= 100)) return { watts: null, why: `${dtMs} ms between readings: too short` };
  let uj = 0;
  const names: string[] = [];
  for (const z of next.zones) {
    const p = prev.zones.find((x) => x.zone === z.zone);
    if (!p) return { watts: null, why: `${z.zone} was not in the reading before` };
    uj += energyDeltaUj(p.energyUj, z.energyUj, z.maxEnergyRangeUj);
    names.push(z.name || z.zone);
  }
  if (names.length === 0) return { watts: null, why: 'no RAPL package zones' };
  const watts = uj / 1000 / dtMs; // uJ / ms = mW; / 1000 = W
  // a CPU package drawing more than 2 kW is a counter fault (two wraps, a reset)
  if (!Number.isFinite(watts) || watts > 2000) return { watts: null, why: `implausible ${Math.round(watts)} W between readings` };
  return { watts, why: `RAPL ${names.join(' + ')} (whole CPU)` };
}

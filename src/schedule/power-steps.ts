// Each worker's steps, built from what the hub knows of it (pure): the hub's and an agent's
// threads, an AxeOS miner's frequency options, a miner on a plug. Every step's watts says where it
// comes from.
import type { PowerStep, WattSource } from './power-types.js';

/** Threads 1..n at `wattsPerThread` each (a first thread may cost more: `firstExtraW`, the package waking up). */
export function threadSteps(threads: number, wattsPerThread: number, hashratePerThread: number, source: WattSource, firstExtraW = 0): PowerStep[] {
  const n = Math.max(0, Math.min(1024, Math.floor(threads)));
  const w = Math.max(0, wattsPerThread);
  const h = Math.max(0, hashratePerThread);
  return Array.from({ length: n }, (_, i) => ({ watts: Math.max(0, firstExtraW) + w * (i + 1), hashrate: h * (i + 1), source }));
}

/** What the hub read of an AxeOS miner: `/api/system/asic` and `/api/system/info`. */
export interface AxeosReading {
  /** `frequencyOptions` (MHz); absent on old firmware */
  frequencyOptions?: number[] | null;
  /** the user's own frequency (remembered before control began), MHz: never stepped above */
  userFrequency: number;
  /** the frequency it runs at now, MHz */
  frequency: number;
  /** `power` now, W (measured by the miner) */
  power: number;
  /** hashrate now, H/s */
  hashrate: number;
  /** `overheat_mode` set: no step above the current one (the firmware must not be fought) */
  overheat?: boolean;
}

/**
 * An AxeOS miner's steps: its frequency options at or below the user's own frequency (without
 * options: the current one only). Power and hashrate scale with frequency from the current
 * reading (power roughly in proportion; hashrate exactly): the current step is measured, the
 * others estimated from it, and labelled so.
 */
export function axeosSteps(r: AxeosReading): PowerStep[] {
  const f0 = r.frequency;
  if (!(f0 > 0) || !Number.isFinite(r.power) || r.power < 0 || !Number.isFinite(r.hashrate) || r.hashrate < 0) return [];
  const ceiling = Math.min(r.userFrequency > 0 ? r.userFrequency : f0, r.overheat ? f0 : Number.POSITIVE_INFINITY);
  const opts = (r.frequencyOptions ?? []).filter((f) => Number.isFinite(f) && f > 0 && f <= ceiling);
  const freqs = [...new Set(opts.length ? [...opts, ...(f0 <= ceiling ? [f0] : [])] : [Math.min(f0, ceiling)])].sort((a, b) => a - b).slice(-32);
  return freqs.map((f) => ({
    watts: (r.power * f) / f0,
    hashrate: (r.hashrate * f) / f0,
    source: f === f0 ? 'measured' : 'estimated',
    label: `${f} MHz`,
  }));
}

/** A miner on a plug: one step, its watts from the plug's sensor when it has run, else declared or estimated. */
export function plugSteps(watts: number, hashrate: number, source: WattSource): PowerStep[] {
  return Number.isFinite(watts) && watts >= 0 ? [{ watts, hashrate: Math.max(0, hashrate), source }] : [];
}

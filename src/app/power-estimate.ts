/**
 * The one power model for hashing CPU threads until measured watts arrive: a thread of the same
 * kind of CPU counts the same watts whether the hub, a `micro-mining worker` or a browser page runs
 * it, and the figure says "estimated". The hub's threads (the planner's watts per thread), every
 * worker agent and every browser page (by the threads they report) take their figure from here.
 * Pure.
 */
import type { WattSource } from '../schedule/index.js';

/** Where a watt figure comes from (docs: measured / plug / declared / estimated). */
export type WattHow = WattSource;

/** A watt figure and where it comes from. */
export interface WattFigure {
  watts: number;
  how: WattHow;
}

/**
 * The kind of CPU a thread runs on: `computer` (a desktop, laptop or mini PC running the hub or a
 * `micro-mining worker`), `browser` (a page on a wall tablet, a TV or a phone: a small core).
 */
export type CpuKind = 'computer' | 'browser';

/** W a hashing thread adds, by kind of CPU: a PC core under full load (~6 W), a tablet/phone/TV core (~2 W). */
export const CPU_WATTS_PER_THREAD: Readonly<Record<CpuKind, number>> = { computer: 6, browser: 2 };

/**
 * The estimated draw of `threads` hashing threads of one kind of CPU, W (0 threads: 0 W), labelled
 * estimated. `perThreadW` replaces the kind's figure (the hub's own setting, tests).
 */
export function estimateCpuWatts(threads: number, kind: CpuKind = 'computer', perThreadW?: number): WattFigure {
  const n = Number.isFinite(threads) && threads > 0 ? Math.min(1024, Math.floor(threads)) : 0;
  const per = perThreadW !== undefined && Number.isFinite(perThreadW) && perThreadW >= 0 ? perThreadW : CPU_WATTS_PER_THREAD[kind];
  return { watts: Math.round(n * per * 10) / 10, how: 'estimated' };
}

/** The CPU kind of a worker by how it joined: a browser page, else a computer. */
export function cpuKindOf(kind: 'hub' | 'agent' | 'browser' | 'miner'): CpuKind {
  return kind === 'browser' ? 'browser' : 'computer';
}

// Where everything lives in the ring file (fixed at creation; a file of another layout is not ours).
import { PAGE } from './pagefile.js';
import { EVENT_BYTES, WORKERS_PER_RECORD, recordBytes } from './record.js';
import type { HistorySpan } from './types.js';

export interface TierSpec {
  span: HistorySpan;
  stepS: number;
  count: number;
  /** Worker entries per record (0: the 10 s tier keeps the home's figures only). */
  workers: number;
}

/**
 * 10 s for an hour (the file keeps a day of them: they live beside the 1 min steps), 1 min for a
 * day, 15 min for 30 days.
 */
export const TIERS: readonly TierSpec[] = [
  { span: '1h', stepS: 10, count: 8640, workers: 0 },
  { span: '24h', stepS: 60, count: 1440, workers: WORKERS_PER_RECORD },
  { span: '30d', stepS: 900, count: 2880, workers: WORKERS_PER_RECORD },
];
/** Plan changes kept (the oldest is written over). */
export const PLAN_EVENTS = 1024;
/** Worker names the per-worker series know (a new name beyond it is not charted per worker). */
export const NAMES_CAP = 64;
export const NAME_BYTES = 32;
export const FORMAT = 'micro-mining history ring v1';

export interface Region {
  off: number;
  bytes: number;
}

export interface LaidTier extends TierSpec {
  recBytes: number;
  /** Byte offset of a slot in the file. */
  slotOff: (slot: number) => number;
}

export interface Layout {
  header: Region;
  /** Two slots of one page: the worker names, alternately written. */
  names: Region;
  /**
   * The 1 min steps, each followed by its six 10 s steps: what a write of the last minutes
   * carries is one contiguous run of pages, not two (about 40 % fewer pages a day).
   */
  minutes: Region;
  tiers: LaidTier[];
  events: Region;
  size: number;
}

const pages = (bytes: number) => Math.ceil(bytes / PAGE) * PAGE;

export function layout(): Layout {
  let off = 0;
  const take = (bytes: number): Region => {
    const r = { off, bytes: pages(bytes) };
    off += r.bytes;
    return r;
  };
  const header = take(PAGE);
  const names = take(2 * PAGE);
  const [fine, mid, coarse] = TIERS;
  const per = mid.stepS / fine.stepS;
  if (fine.count !== mid.count * per) throw new Error('history layout: the 10 s steps must fill the 1 min steps');
  const fineBytes = recordBytes(fine.workers);
  const midBytes = recordBytes(mid.workers);
  const block = midBytes + per * fineBytes;
  const minutes = take(mid.count * block);
  const coarseRegion = take(coarse.count * recordBytes(coarse.workers));
  const tiers: LaidTier[] = [
    { ...fine, recBytes: fineBytes, slotOff: (s) => minutes.off + Math.floor(s / per) * block + midBytes + (s % per) * fineBytes },
    { ...mid, recBytes: midBytes, slotOff: (s) => minutes.off + s * block },
    { ...coarse, recBytes: recordBytes(coarse.workers), slotOff: (s) => coarseRegion.off + s * recordBytes(coarse.workers) },
  ];
  const events = take(PLAN_EVENTS * EVENT_BYTES);
  return { header, names, minutes, tiers, events, size: off };
}

/** The header's text: the format and the layout; a file whose header differs is not read. */
export function headerText(l: Layout): string {
  return JSON.stringify({
    format: FORMAT,
    size: l.size,
    tiers: l.tiers.map((t) => [t.stepS, t.count, t.workers, t.slotOff(0)]),
    events: [PLAN_EVENTS, l.events.off],
    names: NAMES_CAP,
  });
}

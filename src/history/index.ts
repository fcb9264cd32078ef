/** History of the hub (a bounded on-disk ring) and the in-place page files it shares with the totals. */
export { SLOT_HEADER_BYTES, decodeSlot, encodeSlot, newestSlot, slotCapacity, type SlotRead } from './slots.js';
export { PAGE, createPreallocated, dirtyRuns, moveAside, pruneBad, readPagesBackwards, syncDir, writePages } from './pagefile.js';
export { History, HISTORY_FILE, WORKERS_PER_TICK, type HistoryOptions, type HistoryStatus } from './ring.js';
export { NAMES_CAP, PLAN_EVENTS, TIERS } from './layout.js';
export { WORKERS_PER_RECORD } from './record.js';
export { SPAN_S } from './query.js';
export type { Decision, HistoryQuery, HistorySpan, HistoryTick, Point, PowerHow } from './types.js';

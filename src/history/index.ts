/** History of the hub (a bounded on-disk ring) and the in-place page files it shares with the totals. */
export { SLOT_HEADER_BYTES, decodeSlot, encodeSlot, newestSlot, slotCapacity, type SlotRead } from './slots.js';
export { PAGE, createPreallocated, dirtyRuns, moveAside, pruneBad, readPagesBackwards, syncDir, writePages } from './pagefile.js';

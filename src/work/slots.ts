/**
 * The extranonce2 space of a job source, cut into slots: slot 0 is the hub's own threads, each
 * local miner connection gets one of the others as a prefix of its extranonce2 (its extranonce1
 * = the source's extranonce1 + the slot prefix), so no two workers ever search the same header.
 * Pure bookkeeping, no I/O.
 */
import type { Slot } from '../stratum/index.js';

export interface Layout {
  session: number;
  extranonce1: string;
  extranonce2Size: number;
  /** bytes of extranonce2 taken by the slot prefix */
  prefixBytes: number;
  /** slots 1..slots-1 for miners; slot 0 is the hub's */
  slots: number;
  versionMask: number;
}

/** How many extranonce2 bytes become the slot prefix: enough slots, while leaving miners room. */
export function prefixBytesFor(extranonce2Size: number): number {
  if (extranonce2Size >= 8) return 4;
  if (extranonce2Size >= 4) return 2;
  if (extranonce2Size >= 2) return 1;
  return 0;
}

/** A slot's prefix in hex (empty when the layout has no prefix). */
export function prefixHex(slot: number, bytes: number): string {
  return bytes ? slot.toString(16).padStart(bytes * 2, '0') : '';
}

/** The layout of a source session. */
export function layoutOf(s: { session: number; extranonce1: string; extranonce2Size: number; versionMask: number }): Layout {
  const k = prefixBytesFor(s.extranonce2Size);
  return {
    session: s.session,
    extranonce1: s.extranonce1,
    extranonce2Size: s.extranonce2Size,
    prefixBytes: k,
    slots: Math.min(2 ** (8 * k), 65536),
    versionMask: s.versionMask,
  };
}

/** The miner slots in use and free: new ones first, then the freed ones, oldest first. */
export class MinerSlots {
  private nextSlot = 1;
  private readonly freed: number[] = [];
  private readonly used = new Set<number>();

  allocate(layout: Layout | null): Slot | null {
    if (!layout || layout.session < 0 || layout.prefixBytes === 0) return null;
    let slot: number | undefined;
    if (this.nextSlot < layout.slots) slot = this.nextSlot++;
    else slot = this.freed.shift();
    if (slot === undefined) return null;
    this.used.add(slot);
    return slotIn(layout, slot);
  }

  release(slot: number): void {
    if (this.used.delete(slot)) this.freed.push(slot);
  }
}

/** A miner slot's extranonce1 and extranonce2 size in a layout (null when it has no such slot). */
export function slotIn(layout: Layout | null, slot: number): Slot | null {
  if (!layout || layout.prefixBytes === 0 || slot <= 0 || slot >= layout.slots) return null;
  return { slot, extranonce1: layout.extranonce1 + prefixHex(slot, layout.prefixBytes), extranonce2Size: layout.extranonce2Size - layout.prefixBytes };
}

// Checksummed slots: a record written in place, one page at a time, whose bytes prove themselves.
// Pure encode/decode, no I/O. A slot is [magic u32 | seq f64 | length u32 | crc32 u32 | payload]
// padded with zeros to the slot size; the crc covers seq, length and payload. An all-zero slot is
// one never written; any other slot that does not check is damaged (a torn or corrupted write).
import { crc32 } from 'node:zlib';

export const SLOT_MAGIC = 0x4d4d534c; // "MMSL"
export const SLOT_HEADER_BYTES = 20;

export type SlotRead = { kind: 'ok'; seq: number; payload: Buffer } | { kind: 'empty' } | { kind: 'damaged'; why: string };

/** The most payload a slot of `slotBytes` holds. */
export function slotCapacity(slotBytes: number): number {
  return slotBytes - SLOT_HEADER_BYTES;
}

/** One slot of `slotBytes` bytes holding `payload` with sequence number `seq`. */
export function encodeSlot(seq: number, payload: Uint8Array, slotBytes: number): Buffer {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`slot sequence must be a positive integer (got ${seq})`);
  if (payload.length > slotCapacity(slotBytes)) throw new RangeError(`slot payload of ${payload.length} bytes exceeds ${slotCapacity(slotBytes)}`);
  const b = Buffer.alloc(slotBytes);
  b.writeUInt32LE(SLOT_MAGIC, 0);
  b.writeDoubleLE(seq, 4);
  b.writeUInt32LE(payload.length, 12);
  Buffer.from(payload.buffer, payload.byteOffset, payload.length).copy(b, SLOT_HEADER_BYTES);
  b.writeUInt32LE(slotCrc(b, payload.length), 16);
  return b;
}

function slotCrc(b: Buffer, len: number): number {
  // seq and length, then the payload: the crc field itself is skipped
  return crc32(b.subarray(SLOT_HEADER_BYTES, SLOT_HEADER_BYTES + len), crc32(b.subarray(4, 16)));
}

/** Reads one slot: its payload when every check holds, else why not. */
export function decodeSlot(b: Buffer): SlotRead {
  if (b.every((x) => x === 0)) return { kind: 'empty' };
  if (b.length < SLOT_HEADER_BYTES) return { kind: 'damaged', why: 'too short' };
  if (b.readUInt32LE(0) !== SLOT_MAGIC) return { kind: 'damaged', why: 'bad magic' };
  const seq = b.readDoubleLE(4);
  const len = b.readUInt32LE(12);
  if (!Number.isSafeInteger(seq) || seq < 1) return { kind: 'damaged', why: 'bad sequence number' };
  if (len > b.length - SLOT_HEADER_BYTES) return { kind: 'damaged', why: 'bad length' };
  if (slotCrc(b, len) !== b.readUInt32LE(16)) return { kind: 'damaged', why: 'checksum mismatch' };
  return { kind: 'ok', seq, payload: Buffer.from(b.subarray(SLOT_HEADER_BYTES, SLOT_HEADER_BYTES + len)) };
}

/** Of several slots, the valid one with the highest sequence number (index into `slots`), or -1. */
export function newestSlot(slots: SlotRead[]): number {
  let best = -1;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    if (s.kind === 'ok' && (best < 0 || s.seq > (slots[best] as { seq: number }).seq)) best = i;
  }
  return best;
}

/** Messages between the hub pool and its worker threads. */

/** Layout of the shared control array (Int32Array over a SharedArrayBuffer). */
export const CTRL_GENERATION = 0; // bumped to cancel every task in flight
export const CTRL_SLOT_BASE = 1; // CTRL_SLOT_BASE + slot: 1 = this slot must stop

export interface ScanTask {
  kernel: string;
  control: SharedArrayBuffer;
  slot: number;
  generation: number;
  header: Uint8Array;
  /** top 32 bits of the share target */
  topWord: number;
  start: number;
  count: number;
  /** stop after about this many milliseconds even when the range is not done */
  budgetMs: number;
  /** thread priority (nice value, 0..19) */
  nice: number;
}

export interface ScanResult {
  /** nonces that passed the kernel's quick check (verified on the main thread) */
  candidates: number[];
  /** nonces hashed */
  hashes: number;
  /** where the next scan of this range would start */
  next: number;
  seconds: number;
  cancelled: boolean;
  kernelDetail: string;
}

import { setPriority } from 'node:os';
import { loadKernel, type AnyKernelName, type ScanKernel } from '../core/index.js';
import { CTRL_GENERATION, CTRL_SLOT_BASE, type ScanResult, type ScanTask } from './protocol.js';

let kernel: ScanKernel | null = null;
let kernelName = '';
let priority: number | null = null;
/** nonces per batch; adapted so one batch takes about BATCH_MS */
let batch = 4096;
const BATCH_MS = 4;
const MAX_CANDIDATES = 4096;

/** One scan task: hashes the range in small batches, checking the shared cancel flags between batches. */
export default async function scan(task: ScanTask): Promise<ScanResult> {
  if (!kernel || kernelName !== task.kernel) {
    kernel?.close?.();
    const r = await loadKernel(task.kernel as AnyKernelName);
    if (!r.kernel) throw new Error(`kernel ${task.kernel} failed to load in a worker: ${r.reason}`);
    kernel = r.kernel;
    kernelName = task.kernel;
  }
  if (priority !== task.nice) {
    try {
      setPriority(task.nice); // Linux: this thread only
    } catch {
      /* not permitted: keep the default priority */
    }
    priority = task.nice;
  }
  const ctrl = new Int32Array(task.control);
  const header = task.header;
  const end = task.start + task.count;
  const candidates: number[] = [];
  const t0 = performance.now();
  let n = task.start;
  let cancelled = false;
  while (n < end) {
    if (Atomics.load(ctrl, CTRL_GENERATION) !== task.generation || Atomics.load(ctrl, CTRL_SLOT_BASE + task.slot) !== 0) {
      cancelled = true;
      break;
    }
    const c = Math.min(batch, end - n);
    const b0 = performance.now();
    const found = kernel.scan(header, n, c, task.topWord, MAX_CANDIDATES - candidates.length);
    for (const f of found) candidates.push(f);
    const dt = performance.now() - b0;
    n += c;
    if (c === batch) {
      if (dt < BATCH_MS / 2 && batch < 1 << 22) batch *= 2;
      else if (dt > BATCH_MS * 2 && batch > 256) batch >>>= 1;
    }
    if (candidates.length >= MAX_CANDIDATES || performance.now() - t0 >= task.budgetMs) break;
  }
  return {
    candidates,
    hashes: n - task.start,
    next: n,
    seconds: (performance.now() - t0) / 1000,
    cancelled,
    kernelDetail: kernel.detail,
  };
}

import { InputError } from '../errors.js';
import { createJsKernel } from './js.js';
import { loadNativeKernel } from './native.js';
import { loadWasmKernel } from './wasm.js';
import { KERNEL_NAMES, type AnyKernelName, type KernelName, type ScanKernel } from './types.js';
import { createNaiveKernel } from './naive.js';
import { selfTest } from './selftest.js';

export { KERNEL_NAMES, type AnyKernelName, type KernelName, type ScanKernel } from './types.js';
export { createNaiveKernel } from './naive.js';
export { createJsKernel } from './js.js';

export type KernelChoice = KernelName | 'auto';

export function parseKernelChoice(s: string): KernelChoice {
  if (s === 'auto' || (KERNEL_NAMES as readonly string[]).includes(s)) return s as KernelChoice;
  throw new InputError(`--kernel: unknown kernel "${s}"; use one of auto, ${KERNEL_NAMES.join(', ')}`, 'kernel');
}

/**
 * Loads one kernel and runs its known-answer self test. Never throws: a kernel that fails to build,
 * load or pass its test comes back with the reason, so the caller can skip it with a warning.
 */
export async function loadKernel(name: AnyKernelName): Promise<{ kernel: ScanKernel } | { kernel: null; reason: string }> {
  try {
    const kernel =
      name === 'js' ? createJsKernel()
      : name === 'wasm' ? await loadWasmKernel()
      : name === 'native' ? await loadNativeKernel()
      : name === 'naive' ? createNaiveKernel()
      : null;
    if (!kernel) return { kernel: null, reason: `unknown kernel "${String(name)}"` };
    const failure = selfTest(kernel);
    if (failure) {
      kernel.close?.();
      return { kernel: null, reason: `failed its known-answer test: ${failure}` };
    }
    return { kernel };
  } catch (err) {
    return { kernel: null, reason: (err as Error).message };
  }
}

export interface KernelSelection {
  kernel: ScanKernel;
  /** one human sentence: which kernel and why */
  why: string;
  skipped: { name: KernelName; reason: string }[];
  /** measured rates in H/s, one thread, when auto-selected */
  rates: Partial<Record<KernelName, number>>;
}

/**
 * Picks a kernel. `auto` loads every kernel, skips those that fail, times each working one on a
 * short scan and takes the fastest. A named kernel that cannot load is an error.
 */
export async function selectKernel(choice: KernelChoice, calibrateMs = 100): Promise<KernelSelection> {
  if (choice !== 'auto') {
    const r = await loadKernel(choice);
    if (!r.kernel) throw new InputError(`--kernel ${choice}: not available here (${r.reason})`, 'kernel');
    return { kernel: r.kernel, why: `kernel ${choice} (${r.kernel.detail}) as requested`, skipped: [], rates: {} };
  }
  const loaded: ScanKernel[] = [];
  const skipped: { name: KernelName; reason: string }[] = [];
  for (const name of KERNEL_NAMES) {
    const r = await loadKernel(name);
    if (r.kernel) loaded.push(r.kernel);
    else skipped.push({ name, reason: r.reason });
  }
  const rates: Partial<Record<KernelName, number>> = {};
  for (const k of loaded) rates[k.name as KernelName] = measureRate(k, calibrateMs);
  loaded.sort((a, b) => (rates[b.name as KernelName] ?? 0) - (rates[a.name as KernelName] ?? 0));
  const best = loaded[0];
  for (const k of loaded.slice(1)) k.close?.();
  const ranking = loaded.map((k) => `${k.name} ${((rates[k.name as KernelName] ?? 0) / 1e6).toFixed(2)} MH/s`).join(', ');
  const skippedText = skipped.length ? `; skipped ${skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}` : '';
  return {
    kernel: best,
    why: `kernel ${best.name} (${best.detail}): fastest working kernel in a ${calibrateMs} ms calibration [${ranking}]${skippedText}`,
    skipped,
    rates,
  };
}

/** Hashes per second of one kernel on one thread, measured for about `ms` milliseconds. */
export function measureRate(kernel: ScanKernel, ms: number, header?: Uint8Array): number {
  const h = header ?? CALIBRATION_HEADER;
  let batch = 4096;
  let hashes = 0;
  let nonce = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    kernel.scan(h, nonce, batch, 0, 16);
    nonce = (nonce + batch) >>> 0;
    hashes += batch;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    if (elapsed < ms / 8) batch *= 2;
  }
  return hashes / (elapsed / 1000);
}

// block 125552's header (Bitcoin wiki), used for calibration only
const CALIBRATION_HEADER = Buffer.from(
  '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
  'hex',
);

// Measures the wasm kernel against the naive baseline and the JS kernel, one thread, same run.
//   npx tsx src/core/kernels/wasm/measure.ts [seconds per kernel, default 3]
// Prints one line per kernel: MH/s and the ratio to the naive baseline measured just now.
import { createJsKernel, createNaiveKernel, measureRate, type ScanKernel } from '../index.js';
import { loadWasmKernel } from '../wasm.js';

const seconds = Number(process.argv[2] ?? 3);
if (!(seconds > 0 && seconds <= 60)) {
  console.error('usage: measure.ts [seconds per kernel, 0 < s <= 60]');
  process.exit(2);
}

const kernels: ScanKernel[] = [createNaiveKernel(), createJsKernel(), await loadWasmKernel()];
// warm up (lets V8 optimize each kernel before it is timed)
for (const k of kernels) measureRate(k, 300);
const rates = new Map<string, number>();
for (const k of kernels) rates.set(k.name, measureRate(k, seconds * 1000));
const naive = rates.get('naive') ?? NaN;
for (const k of kernels) {
  const r = rates.get(k.name) ?? NaN;
  console.log(
    `${k.name.padEnd(6)} ${(r / 1e6).toFixed(3).padStart(7)} MH/s  ${(r / naive).toFixed(2).padStart(6)}x naive  (${k.detail})`,
  );
}
console.log(`one thread, ${seconds} s per kernel, node ${process.version}`);

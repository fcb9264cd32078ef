// Measures every native path this CPU can run against the naive baseline, one thread, same run.
//   npx tsx src/core/native/measure.ts [seconds per path, default 3]
// Prints one line per kernel/path: MH/s and the ratio to the naive baseline measured just now.
// Native scans are timed in batches of 2^18 nonces (the pool calls with 2^16..2^20).
import { createNaiveKernel, type ScanKernel } from '../index.js';
import { loadNativeKernel, nativePaths } from '../kernels/native.js';

const seconds = Number(process.argv[2] ?? 3);
if (!(seconds > 0 && seconds <= 60)) {
  console.error('usage: measure.ts [seconds per path, 0 < s <= 60]');
  process.exit(2);
}

// block 125552's header
const HEADER = Buffer.from(
  '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
  'hex',
);

function rate(k: ScanKernel, ms: number, batch: number): number {
  let hashes = 0;
  let nonce = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    if (nonce + batch > 2 ** 32) nonce = 0;
    k.scan(HEADER, nonce, batch, 0, 16);
    nonce += batch;
    hashes += batch;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return hashes / (elapsed / 1000);
}

const naive = createNaiveKernel();
rate(naive, 300, 4096);
const naiveRate = rate(naive, seconds * 1000, 4096);
const line = (name: string, r: number, detail: string) =>
  console.log(`${name.padEnd(14)} ${(r / 1e6).toFixed(3).padStart(8)} MH/s  ${(r / naiveRate).toFixed(1).padStart(6)}x naive  (${detail})`);
line('naive', naiveRate, naive.detail);
for (const path of nativePaths()) {
  const k = await loadNativeKernel({ path });
  rate(k, 200, 1 << 18);
  line(`native ${path}`, rate(k, seconds * 1000, 1 << 18), k.detail);
}
console.log(`one thread, ${seconds} s per kernel, node ${process.version}`);

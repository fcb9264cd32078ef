import type { ScanKernel } from './types.js';

// Known answers: the genesis block and block 125552 (Bitcoin wiki "Block hashing algorithm").
const CASES = [
  {
    header: '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
    nonce: 2083236893,
  },
  {
    header: '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
    nonce: 2504433986,
  },
];

/** Scans a small range around each real nonce at a zero top word; returns a failure text or null. */
export function selfTest(kernel: ScanKernel): string | null {
  for (const c of CASES) {
    const header = Buffer.from(c.header, 'hex');
    const start = c.nonce - 700;
    const got = kernel.scan(header, start, 1500, 0, 64);
    if (got.length !== 1 || got[0] !== c.nonce) {
      return `expected nonce ${c.nonce} in ${start}..${start + 1499}, got [${got.slice(0, 4).join(', ')}]`;
    }
  }
  return null;
}

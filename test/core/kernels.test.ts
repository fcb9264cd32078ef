import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  InputError,
  createJsKernel,
  createNaiveKernel,
  hexToBytes,
  loadKernel,
  nbitsToTarget,
  parseKernelChoice,
  selectKernel,
  verifiedScan,
} from '../../src/core/index.js';
import { BLOCK_125552, GENESIS } from './vectors.js';

/** Reference: candidates (top 32 bits of the LE hash <= topWord) by brute force with @noble/hashes. */
function referenceCandidates(header: Uint8Array, start: number, count: number, topWord: number): number[] {
  const h = Uint8Array.from(header);
  const dv = new DataView(h.buffer);
  const out: number[] = [];
  for (let n = start; n < start + count; n++) {
    dv.setUint32(76, n, true);
    const d = sha256(sha256(h));
    if (((d[31] << 24) | (d[30] << 16) | (d[29] << 8) | d[28]) >>> 0 <= topWord) out.push(n);
  }
  return out;
}

for (const [name, v] of [
  ['genesis', GENESIS],
  ['block 125552', BLOCK_125552],
] as const) {
  test(`the JS kernel finds exactly ${name}'s nonce in a range around it`, () => {
    const header = hexToBytes(v.header, 'header', 80);
    const finds = verifiedScan(createJsKernel(), header, v.nonce - 3000, 6000, nbitsToTarget(v.nbits));
    assert.deepEqual(
      finds.map((f) => f.nonce),
      [v.nonce],
    );
    assert.equal(finds[0].hash, v.hash);
  });
}

test('JS and naive kernels agree with @noble/hashes on random headers', () => {
  const js = createJsKernel();
  const naive = createNaiveKernel();
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 80, maxLength: 80 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 1, max: 300 }),
      fc.constantFrom(0, 0x00ffffff, 0x0fffffff, 0x7fffffff),
      (header, start0, count, top) => {
        const start = Math.min(start0, 2 ** 32 - count);
        const want = referenceCandidates(header, start, count, top);
        assert.deepEqual(js.scan(header, start, count, top, 1e6), want);
        assert.deepEqual(naive.scan(header, start, count, top, 1e6), want);
      },
    ),
    { numRuns: 60 },
  );
});

test('the last nonces of the space are scanned and nothing past them', () => {
  const header = hexToBytes(GENESIS.header, 'header', 80);
  const got = createJsKernel().scan(header, 2 ** 32 - 5, 5, 0xffffffff, 100);
  assert.deepEqual(got, [4294967291, 4294967292, 4294967293, 4294967294, 4294967295]);
});

test('verifiedScan re-verifies: a kernel that lies about a nonce is corrected', () => {
  const liar = { name: 'js' as const, detail: 'lies', scan: () => [1, 2, GENESIS.nonce] };
  const header = hexToBytes(GENESIS.header, 'header', 80);
  const finds = verifiedScan(liar, header, 0, 2 ** 32, nbitsToTarget(GENESIS.nbits));
  assert.deepEqual(
    finds.map((f) => f.nonce),
    [GENESIS.nonce],
  );
});

test('bad scan input is a clear InputError', () => {
  const header = hexToBytes(GENESIS.header, 'header', 80);
  assert.throws(() => verifiedScan(createJsKernel(), header, -1, 10, 1n), /start nonce/);
  assert.throws(() => verifiedScan(createJsKernel(), header, 2 ** 32 - 1, 2, 1n), /start \+ count <= 2\^32/);
  assert.throws(() => verifiedScan(createJsKernel(), header.slice(0, 79), 0, 2, 1n), /expected 80 bytes/);
  assert.throws(() => parseKernelChoice('gpu'), InputError);
});

test('kernel selection: auto picks a working kernel and says why; unknown kernels are skipped, not fatal', async () => {
  const sel = await selectKernel('auto', 20);
  assert.ok(['js', 'wasm', 'native'].includes(sel.kernel.name));
  assert.match(sel.why, new RegExp(`^kernel ${sel.kernel.name} .*fastest working kernel`));
  const r = await loadKernel('nope' as never);
  assert.equal(r.kernel, null);
  sel.kernel.close?.();
});

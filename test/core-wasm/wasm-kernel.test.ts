import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { createJsKernel, hexToBytes, loadKernel, nbitsToTarget, verifiedScan, type ScanKernel } from '../../src/core/index.js';
import { WASM_KERNEL_PATH, hasWasmSimd, loadWasmKernel } from '../../src/core/kernels/wasm.js';

// Known answers (reference/stratum-vectors.md V1 and V2; Bitcoin Core chainparams, Bitcoin wiki).
const GENESIS = {
  header:
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
  nonce: 2083236893,
  nbits: 0x1d00ffff,
  hash: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
};
const BLOCK_125552 = {
  header:
    '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
  nonce: 2504433986,
  nbits: 0x1a44b9f2,
  hash: '00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d',
};

const root = fileURLToPath(new URL('../../', import.meta.url));
let wasm: ScanKernel;
let scratch: string;

before(async () => {
  // no skipping: after `npm install` (postinstall builds it) the kernel must load
  wasm = await loadWasmKernel();
  scratch = await mkdtemp(join(tmpdir(), 'mm-wasm-test-'));
});
after(async () => {
  wasm?.close?.();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test('this runtime has WebAssembly SIMD and the kernel is built', () => {
  assert.equal(hasWasmSimd(), true);
  assert.equal(wasm.name, 'wasm');
  assert.match(wasm.detail, /simd/);
});

for (const [name, v] of [
  ['genesis', GENESIS],
  ['block 125552', BLOCK_125552],
] as const) {
  test(`the wasm kernel finds exactly ${name}'s nonce in a range around it`, () => {
    const header = hexToBytes(v.header, 'header', 80);
    // top word 0: only hashes with 32 leading zero bits
    assert.deepEqual(wasm.scan(header, v.nonce - 5001, 10_003, 0, 64), [v.nonce]);
    // through the core's verified scan at the header's own target, with the known hash
    const finds = verifiedScan(wasm, header, v.nonce - 3000, 6000, nbitsToTarget(v.nbits));
    assert.deepEqual(
      finds.map((f) => f.nonce),
      [v.nonce],
    );
    assert.equal(finds[0].hash, v.hash);
  });

  test(`${name}: every short range (counts 1..9, every lane position) finds the nonce only when it holds it`, () => {
    const header = hexToBytes(v.header, 'header', 80);
    for (let count = 1; count <= 9; count++) {
      for (let start = v.nonce - count - 1; start <= v.nonce + 1; start++) {
        const inside = start <= v.nonce && v.nonce < start + count;
        assert.deepEqual(wasm.scan(header, start, count, 0, 8), inside ? [v.nonce] : [], `start ${start} count ${count}`);
      }
    }
  });
}

test('loadKernel("wasm") passes the known-answer self test', async () => {
  const r = await loadKernel('wasm');
  assert.ok(r.kernel, `not loaded: ${'reason' in r ? r.reason : ''}`);
  assert.equal(r.kernel.name, 'wasm');
  r.kernel.close?.();
});

const header80 = fc.uint8Array({ minLength: 80, maxLength: 80 });
const topWords = fc.constantFrom(0x000fffff, 0x003fffff, 0x00ffffff, 0x0fffffff, 0x7fffffff);
const range = fc.oneof(
  // anywhere in the nonce space
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 1500 })).map(([start, count]) => ({
    start: Math.min(start, 2 ** 32 - count),
    count,
  })),
  // ending exactly at the end of the nonce space
  fc.integer({ min: 1, max: 1500 }).map((count) => ({ start: 2 ** 32 - count, count })),
  // tiny ranges, counts not a multiple of 4
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 11 })).map(([start, count]) => ({
    start: Math.min(start, 2 ** 32 - count),
    count,
  })),
);

test("property: random headers and ranges give exactly the JS kernel's candidates", () => {
  const js = createJsKernel();
  fc.assert(
    fc.property(header80, range, topWords, fc.oneof(fc.constant(1_000_000), fc.integer({ min: 1, max: 12 })), (h, r, top, max) => {
      const expected = js.scan(h, r.start, r.count, top, max);
      const got = wasm.scan(h, r.start, r.count, top, max);
      assert.deepEqual(got, expected);
      for (const n of got) assert.ok(n >= r.start && n < r.start + r.count && n <= 0xffffffff);
    }),
    { numRuns: 300 },
  );
});

test('more candidates than the wasm output buffer: all come back, in order, bounded by maxCandidates', () => {
  const header = hexToBytes(GENESIS.header, 'header', 80);
  const all = Array.from({ length: 10_007 }, (_, i) => 1000 + i);
  assert.deepEqual(wasm.scan(header, 1000, 10_007, 0xffffffff, 1_000_000), all);
  assert.deepEqual(wasm.scan(header, 1000, 10_007, 0xffffffff, 5_001), all.slice(0, 5_001));
  // a range longer than one wasm call (65536 nonces), candidates across the seam
  const js = createJsKernel();
  assert.deepEqual(wasm.scan(header, 60_000, 20_000, 0x01ffffff, 1000), js.scan(header, 60_000, 20_000, 0x01ffffff, 1000));
});

test('the end of the nonce space: no wrap to nonce 0', () => {
  const header = hexToBytes(BLOCK_125552.header, 'header', 80);
  for (const count of [1, 2, 3, 4, 5, 10]) {
    const expected = Array.from({ length: count }, (_, i) => 2 ** 32 - count + i);
    assert.deepEqual(wasm.scan(header, 2 ** 32 - count, count, 0xffffffff, 100), expected);
  }
  assert.deepEqual(wasm.scan(header, 0xffffffff, 0, 0xffffffff, 100), []);
});

test('bad input to scan: a clear RangeError', () => {
  const header = hexToBytes(GENESIS.header, 'header', 80);
  assert.throws(() => wasm.scan(header.subarray(0, 79), 0, 10, 0, 1), /header must be 80 bytes, got 79/);
  assert.throws(() => wasm.scan(header, 2 ** 32 - 3, 4, 0, 1), /start \+ count <= 2\^32/);
  assert.throws(() => wasm.scan(header, -1, 4, 0, 1), /start must be a nonce/);
  assert.throws(() => wasm.scan(header, 0, 1.5, 0, 1), /count must be an integer/);
  assert.deepEqual(wasm.scan(header, 0, 100, 0xffffffff, 0), []);
});

test('a missing kernel.wasm gives a clear error that says how to build it', async () => {
  const missing = join(scratch, 'nowhere', 'kernel.wasm');
  await assert.rejects(loadWasmKernel({ path: missing }), (err: Error) => {
    assert.match(err.message, /the wasm kernel is not built: .*kernel\.wasm is missing \(run "npm run build:wasm"\)/);
    return true;
  });
});

test('a corrupt or foreign kernel.wasm gives a clear error', async () => {
  const garbage = join(scratch, 'garbage.wasm');
  await writeFile(garbage, 'this is not wasm');
  await assert.rejects(loadWasmKernel({ path: garbage }), /is not a usable WebAssembly module .*npm run build:wasm/);
  // a valid module that is not the kernel: (module (func (export "f")))
  const foreign = join(scratch, 'foreign.wasm');
  await writeFile(foreign, Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 4, 1, 2, 0, 11]));
  await assert.rejects(loadWasmKernel({ path: foreign }), /lacks the export "abiVersion": it is not this kernel/);
});

test('build-wasm builds the kernel from source into a given folder, and fails clearly', async () => {
  const out = join(scratch, 'built');
  const ok = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--out-dir', out], { cwd: root, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /build-wasm: built .*kernel\.wasm/);
  const fresh = await loadWasmKernel({ path: join(out, 'kernel.wasm') });
  const header = hexToBytes(BLOCK_125552.header, 'header', 80);
  assert.deepEqual(fresh.scan(header, BLOCK_125552.nonce - 10, 21, 0, 4), [BLOCK_125552.nonce]);
  fresh.close?.();

  // the generator's interleaved variant (two groups of four per iteration) is correct too
  const out2 = join(scratch, 'built-2way');
  const two = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--out-dir', out2, '--ways', '2'], { cwd: root, encoding: 'utf8' });
  assert.equal(two.status, 0, two.stderr);
  const k2 = await loadWasmKernel({ path: join(out2, 'kernel.wasm') });
  const js = createJsKernel();
  for (const [start, count] of [
    [BLOCK_125552.nonce - 13, 29],
    [2 ** 32 - 21, 21],
    [5, 7],
    [1000, 3001],
  ]) {
    assert.deepEqual(k2.scan(header, start, count, 0x0fffffff, 1000), js.scan(header, start, count, 0x0fffffff, 1000));
  }
  assert.deepEqual(k2.scan(header, BLOCK_125552.nonce - 10, 21, 0, 4), [BLOCK_125552.nonce]);
  k2.close?.();

  const noWays = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--out-dir', out, '--ways', '9'], { cwd: root, encoding: 'utf8' });
  assert.equal(noWays.status, 1);
  assert.match(noWays.stderr, /build-wasm: ways must be 1\.\.4, got 9/);

  const blocked = join(scratch, 'a-file');
  await writeFile(blocked, 'x');
  const bad = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--out-dir', join(blocked, 'sub')], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /build-wasm: .*not a directory[\s\S]*the wasm kernel is not built/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});

test('the default path is build/wasm/kernel.wasm in the repository', () => {
  assert.equal(WASM_KERNEL_PATH, join(root, 'build', 'wasm', 'kernel.wasm'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createJsKernel, hexToBytes, loadKernel, nbitsToTarget, verifiedScan } from '../../src/core/index.js';
import { NATIVE_MODULE_PATH, loadNativeKernel, nativePaths } from '../../src/core/kernels/native.js';
import { BLOCK_125552, GENESIS } from '../core/vectors.js';

const SRC = join(import.meta.dirname, '../../src/core/native');
const inCI = process.env.CI === 'true';

test('the native module is built and reports the paths this CPU can run', () => {
  const paths = nativePaths();
  assert.ok(paths.includes('generic'));
  console.log(`# native paths on this CPU: ${paths.join(', ')}`);
});

for (const path of nativePaths()) {
  test(`native ${path}: finds the real nonces of the genesis block and block 125552`, async () => {
    const k = await loadNativeKernel({ path });
    for (const v of [GENESIS, BLOCK_125552]) {
      const finds = verifiedScan(k, hexToBytes(v.header, 'header', 80), v.nonce - 5000, 10_000, nbitsToTarget(v.nbits));
      assert.deepEqual(
        finds.map((f) => f.nonce),
        [v.nonce],
      );
      assert.equal(finds[0].hash, v.hash);
    }
  });

  test(`native ${path}: same candidates as the JS kernel on random headers and ranges`, async () => {
    const k = await loadNativeKernel({ path });
    const js = createJsKernel();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 80, maxLength: 80 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 1500 }),
        fc.constantFrom(0, 0x000fffff, 0x00ffffff, 0x0fffffff, 0x7fffffff),
        fc.boolean(),
        (header, start0, count, top, atEnd) => {
          const start = atEnd ? 2 ** 32 - count : Math.min(start0, 2 ** 32 - count);
          assert.deepEqual(k.scan(header, start, count, top, 1e6), js.scan(header, start, count, top, 1e6));
        },
      ),
      { numRuns: 120 },
    );
  });
}

test('native: the candidate bound is respected and an easy target returns every nonce', async () => {
  const k = await loadNativeKernel();
  const h = hexToBytes(GENESIS.header, 'header', 80);
  assert.deepEqual(
    k.scan(h, 10, 37, 0xffffffff, 1000),
    Array.from({ length: 37 }, (_, i) => 10 + i),
  );
  assert.equal(k.scan(h, 0, 10_000, 0xffffffff, 5).length, 5);
});

test('native: the module is loaded from build/native/ (scripts/build-native.mjs)', () => {
  assert.match(NATIVE_MODULE_PATH, /[\\/]build[\\/]native[\\/]mm_native\.node$/);
});

test('native: a file that is not a loadable addon is a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bad-native-'));
  try {
    const file = join(dir, 'mm_native.node');
    writeFileSync(file, 'not an ELF file');
    await assert.rejects(loadNativeKernel({ file }), /native kernel failed to load from .*mm_native\.node/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('native: MM_NATIVE_PATH forces a path, and an unknown one is refused', async () => {
  const saved = process.env.MM_NATIVE_PATH;
  try {
    process.env.MM_NATIVE_PATH = 'generic';
    const k = await loadNativeKernel();
    assert.match(k.detail, /^portable C.*\(forced\)$/);
    process.env.MM_NATIVE_PATH = 'sse9';
    await assert.rejects(loadNativeKernel(), /MM_NATIVE_PATH "sse9" is not one of/);
  } finally {
    if (saved === undefined) delete process.env.MM_NATIVE_PATH;
    else process.env.MM_NATIVE_PATH = saved;
  }
});

test('native: a missing module or an unavailable path is a clear error, and loadKernel reports it without throwing', async () => {
  await assert.rejects(loadNativeKernel({ file: '/nonexistent/mm_native.node' }), /native kernel not built/);
  const paths = nativePaths();
  const absent = (['avx512', 'shani', 'avx2', 'armv8', 'neon'] as const).find((p) => !paths.includes(p));
  if (absent) await assert.rejects(loadNativeKernel({ path: absent }), /not available on this CPU/);
  await assert.rejects(loadNativeKernel({ path: 'mmx' as never }), /is not one of/);
  const r = await loadKernel('native');
  assert.ok(r.kernel, 'the built native kernel passes its known-answer self test');
});

test('build-native: missing Node headers fail with one clear line and leave the built module alone', () => {
  const script = join(import.meta.dirname, '../../scripts/build-native.mjs');
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, MM_NODEDIR: '/nonexistent-node-prefix' }, timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /build-native: no Node headers at \/nonexistent-node-prefix\/include\/node .*the native kernel is skipped/);
  assert.ok(nativePaths().includes('generic'), 'the module built before is still there');
});

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

test('the standalone known-answer test passes on this host (every x86 path) ', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-kat-'));
  try {
    const exe = join(dir, 'kat');
    const cc = spawnSync('cc', ['-O2', '-o', exe, join(SRC, 'kat.c'), join(SRC, 'sha256d.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const r = spawnSync(exe, { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /KAT OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const armTools = have('aarch64-linux-gnu-gcc') && (have('qemu-aarch64-static') || have('qemu-aarch64'));
test('the ARMv8 SHA2 and NEON kernels, cross-compiled for aarch64, pass their known-answer test under qemu-user', {
  skip: !armTools && !inCI ? 'aarch64-linux-gnu-gcc or qemu-user missing (run .ci/setup.d/native.sh)' : false,
}, () => {
  assert.ok(armTools, 'CI must have the aarch64 cross compiler and qemu-user (.ci/setup.d/native.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'mm-kat-arm-'));
  try {
    const exe = join(dir, 'kat-arm64');
    const cc = spawnSync('aarch64-linux-gnu-gcc', ['-O2', '-static', '-o', exe, join(SRC, 'kat.c'), join(SRC, 'sha256d.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const qemu = have('qemu-aarch64-static') ? 'qemu-aarch64-static' : 'qemu-aarch64';
    const r = spawnSync(qemu, [exe], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /armv8 +genesis +ok/);
    assert.match(r.stdout, /armv8 +block 125552 +ok/);
    assert.match(r.stdout, /neon +genesis +ok/);
    assert.match(r.stdout, /neon +block 125552 +ok/);
    assert.match(r.stdout, /KAT OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the native source refuses a build with global AVX flags (the SHA-NI path would run about 190x slower), and builds without them', {
  skip: process.arch !== 'x64' ? 'x86-64 only' : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-avx-guard-'));
  try {
    for (const flag of ['-march=native', '-mavx2']) {
      const r = spawnSync('cc', ['-O2', flag, '-c', '-o', join(dir, 'x.o'), join(SRC, 'sha256d.c')], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${flag} must be refused`);
      assert.match(r.stderr, /must be built without global AVX flags/);
    }
    const ok = spawnSync('cc', ['-O2', '-c', '-o', join(dir, 'x.o'), join(SRC, 'sha256d.c')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

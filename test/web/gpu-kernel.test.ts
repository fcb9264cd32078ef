// The WebGPU kernel (src/web/client/sha256d-wgsl.ts + gpu.ts) in headless Chromium on SwiftShader:
// real block headers from ../shared/reference/stratum-vectors.md, each scanned in a small range
// around its known nonce at the hardest top word (0): exactly the known nonce, no false candidate.
// At an easy target the candidates equal what the CPU finds in the same range.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { headerHash, withNonce } from '../../src/core/header.js';
import { checkCandidates, classifyAdapter } from '../../src/web/client/gpu.js';
import { gpuParams } from '../../src/web/client/sha256d-wgsl.js';
import { midstate } from '../../src/core/sha.js';
import { launchGpuBrowser, openGpuHarness } from './support.js';

// header hex and the nonce it carries (stratum-vectors.md V1, V2, V3, V4, V5)
const VECTORS = [
  [
    'V1 genesis',
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
    2083236893,
  ],
  [
    'V2 block 125552',
    '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
    2504433986,
  ],
  [
    'V3 Bitaxe share, version rolled',
    '00200020f2921517920e7423e6f623d22725ff8b4facf79a1e45462202000000000000006b5d684a704b4abe62b2375c5326d1fc1dbb61168aff84e920ba28968bf1075fecf3b364f8952419910d46ed',
    0xed460d91,
  ],
  [
    'V4 ESP-Miner 13-branch job',
    '040000204595850c738349a3fa5274a511b72ec265a4f23d5243050000000000000000005bdc1968499c3393873edf8e07a1c3a50a97fc3a9d1a376bbf77087dd63778ebb52570643aae0517d19e020a',
    0x0a029ed1,
  ],
  [
    'V5 ESP-Miner diff 18',
    '04000020fc102bd0ea11470daf05a8e133a8a8505e21a2122b7f010000000000000000006d0359c451434605c52a5a9ce074340be47c2c63840731f9edf1db3f26b1cdd9a9f16f643aae051747896e27',
    0x276e8947,
  ],
] as const;

let browser: Browser;
let page: Page;
let stop: () => Promise<void>;

before(async () => {
  browser = await launchGpuBrowser();
  ({ page, stop } = await openGpuHarness(browser));
  // opens the adapter, compiles, runs the built-in known-answer test and tunes the dispatch
  await page.evaluate(`globalThis.mmGpu.GpuScanner.open(navigator.gpu).then((s) => { globalThis.scanner = s; })`);
});

after(async () => {
  await page?.evaluate(`globalThis.scanner?.close()`).catch(() => {});
  await stop?.();
  await browser?.close();
});

const scan = (hex: string, topWord: number, start: number, count: number): Promise<{ candidates: number[]; overflow: number; hashes: number }> =>
  page.evaluate(`(async () => {
    const h = Uint8Array.from(${JSON.stringify(hex)}.match(/../g).map((b) => parseInt(b, 16)));
    globalThis.scanner.setHeader(h, ${topWord});
    return globalThis.scanner.scan(${start}, ${count});
  })()`) as Promise<{ candidates: number[]; overflow: number; hashes: number }>;

test('the kernel runs on the SwiftShader adapter, tuned to a dispatch size', async () => {
  const a = (await page.evaluate(
    `({ adapter: globalThis.scanner.adapter, per: globalThis.scanner.perDispatch, ms: globalThis.scanner.tunedMs, detail: globalThis.scanner.detail })`,
  )) as { adapter: { class: string; architecture: string }; per: number; ms: number; detail: string };
  console.log(`# webgpu on ${a.adapter.architecture}: ${a.per} nonces a dispatch, ~${a.ms.toFixed(0)} ms (${a.detail})`);
  assert.equal(a.adapter.class, 'software');
  assert.ok(a.per >= 64 && a.per % 64 === 0);
});

for (const [name, hex, nonce] of VECTORS) {
  test(`known answer ${name}: the nonce found in a range around it, and nothing else`, async () => {
    const start = nonce - 40_000;
    const r = await scan(hex, 0, start, 100_000);
    assert.deepEqual(r.candidates, [nonce]);
    assert.equal(r.overflow, 0);
    assert.equal(r.hashes, 100_000);
    // the same range without the nonce: nothing
    const r2 = await scan(hex, 0, nonce + 1, 50_000);
    assert.deepEqual(r2.candidates, []);
  });
}

test('at an easy target the kernel returns exactly the nonces the CPU finds in the range', async () => {
  const hex = VECTORS[1][1];
  const header = Buffer.from(hex, 'hex');
  const top = 0x00ffffff; // about 1 in 256 passes
  const start = 1_000_000;
  const count = 20_000;
  const cpu: number[] = [];
  for (let n = start; n < start + count; n++) {
    const h = headerHash(withNonce(header, n));
    if (((h[31] << 24) | (h[30] << 16) | (h[29] << 8) | h[28]) >>> 0 <= top) cpu.push(n);
  }
  const r = await scan(hex, top, start, count);
  assert.ok(cpu.length > 20, `the CPU finds some (${cpu.length})`);
  assert.deepEqual(r.candidates, cpu);
});

test('the CPU check refuses a candidate outside the range or with a hash above the top word (pure)', () => {
  const header = Buffer.from(VECTORS[0][1], 'hex');
  const nonce = VECTORS[0][2];
  assert.deepEqual(checkCandidates(header, nonce - 10, 20, 0, [nonce]), { good: [nonce], wrong: null });
  assert.equal(checkCandidates(header, nonce - 10, 20, 0, [nonce, nonce + 1]).wrong, nonce + 1);
  assert.equal(checkCandidates(header, nonce + 1, 20, 0xffffffff, [nonce]).wrong, nonce, 'outside the range');
  assert.equal(checkCandidates(header, nonce - 10, 20, 0, [nonce, nonce]).wrong, nonce, 'repeated');
  // the CPU-side parameters carry the midstate and the target top word
  const p = gpuParams(midstate(header), header, 0x1234);
  assert.deepEqual(Array.from(p.subarray(0, 8)), Array.from(midstate(header)));
  assert.equal(p[24], 0x1234);
  assert.throws(() => gpuParams(midstate(header), header.subarray(0, 79), 0), /80 bytes/);
});

test('adapter classes for the power estimate', () => {
  assert.equal(classifyAdapter({ vendor: 'google', architecture: 'swiftshader' }).class, 'software');
  assert.equal(classifyAdapter({ vendor: 'intel', architecture: 'gen-12lp' }).class, 'integrated');
  assert.equal(classifyAdapter({ vendor: 'nvidia', architecture: 'ampere' }).class, 'discrete');
  assert.equal(classifyAdapter({ vendor: 'x' }, true).class, 'software');
  assert.equal(classifyAdapter(undefined).class, 'unknown');
});

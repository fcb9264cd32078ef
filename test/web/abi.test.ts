// The wasm kernel's exports are declared once (src/core/kernels/wasm/abi.ts) for both loaders: the
// generator that writes kernel.wasm must speak the same ABI version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KERNEL_ABI, KERNEL_FUNCTIONS } from '../../src/core/kernels/wasm/abi.js';

test('the generator and the loaders speak one kernel ABI', async () => {
  const gen = (await import('../../src/core/kernels/wasm/gen-kernel.mjs' as string)) as { KERNEL_ABI: number; generateKernelSource: () => string };
  assert.equal(gen.KERNEL_ABI, KERNEL_ABI);
  const src = gen.generateKernelSource();
  for (const name of KERNEL_FUNCTIONS) assert.match(src, new RegExp(`export function ${name}\\(`), `the generated kernel exports ${name}`);
  // neither loader declares the exports itself any more
  for (const f of ['src/core/kernels/wasm.ts', 'src/web/client/hash-worker.ts']) {
    const text = readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8');
    assert.doesNotMatch(text, /interface KernelExports/, `${f} declares no KernelExports of its own`);
    assert.match(text, /wasm\/abi\.js/, `${f} imports the one ABI`);
  }
});

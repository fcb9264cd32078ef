import type { ScanKernel } from './types.js';

/** The WebAssembly SIMD kernel (being written; see issue 2). */
export async function loadWasmKernel(): Promise<ScanKernel> {
  throw new Error('the wasm kernel is not built in this version');
}

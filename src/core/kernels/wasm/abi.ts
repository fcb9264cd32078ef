/**
 * The exports of build/wasm/kernel.wasm as its two loaders speak them: src/core/kernels/wasm.ts
 * (Node, the hub and the worker agent) and src/web/client/hash-worker.ts (the worker page's Web
 * Worker). One declaration, so the two cannot drift; the generator's side is
 * src/core/kernels/wasm/gen-kernel.mjs (its KERNEL_ABI must equal this one: test/web/abi.test.ts).
 * No Node or DOM types here: the browser bundle imports it too.
 */

/** ABI version of the exports; a loader refuses a kernel.wasm that reports another. */
export const KERNEL_ABI = 1;

/** nonces per call into wasm: bounds one call's time (a few ms) so a stop or new work gets in between */
export const SCAN_CHUNK = 1 << 16;

/** The functions a kernel.wasm must export (besides its memory). */
export const KERNEL_FUNCTIONS = ['abiVersion', 'headerPtr', 'outPtr', 'outCap', 'prepare', 'scan'] as const;

/**
 * The exports. `M` is the runtime's WebAssembly.Memory (Node's project libs do not declare
 * WebAssembly; the page's do).
 */
export interface KernelExports<M extends { readonly buffer: ArrayBuffer } = { readonly buffer: ArrayBuffer }> {
  memory: M;
  abiVersion(): number;
  /** where the 80-byte header goes before `prepare()` */
  headerPtr(): number;
  /** where `scan` writes its candidates (u32 each) */
  outPtr(): number;
  /** how many candidates fit there */
  outCap(): number;
  /** computes the midstate and the nonce-independent words of the header at `headerPtr()` */
  prepare(): void;
  /** scans nonces start .. start+count-1; returns how many candidates it wrote (at most `cap`) */
  scan(start: number, count: number, top: number, cap: number): number;
}

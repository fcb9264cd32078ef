export type KernelName = 'js' | 'wasm' | 'native';
/** a kernel or the naive baseline (benchmarks only) */
export type AnyKernelName = KernelName | 'naive';
export const KERNEL_NAMES: readonly KernelName[] = ['js', 'wasm', 'native'];

/**
 * A nonce-scan kernel. `scan` hashes the 80-byte header with nonces start .. start+count-1
 * (the header's own nonce field is ignored) and returns, in increasing order, every nonce whose
 * sha256d could meet the target: at least all that do. Kernels may compare only the top 32 bits
 * (`topWord`) and return a superset; the core re-verifies every candidate with @noble/hashes.
 */
export interface ScanKernel {
  readonly name: AnyKernelName;
  /** how it hashes, e.g. "sha-ni, 2 lanes interleaved" */
  readonly detail: string;
  /**
   * @param header80 80 bytes
   * @param start first nonce (u32)
   * @param count number of nonces; start + count <= 2^32
   * @param topWord the target's top 32 bits: a hash passes when bits 224..255 of it, read as a
   *   little-endian 256-bit integer, are <= topWord
   * @param maxCandidates stop collecting after this many (a safety bound for silly targets)
   */
  scan(header80: Uint8Array, start: number, count: number, topWord: number, maxCandidates: number): number[];
  /** releases native or wasm memory, if any */
  close?(): void;
}

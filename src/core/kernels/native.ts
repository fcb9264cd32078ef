import type { ScanKernel } from './types.js';

/** The native N-API kernel (being written; see issue 2). */
export async function loadNativeKernel(): Promise<ScanKernel> {
  throw new Error('the native kernel is not built in this version');
}

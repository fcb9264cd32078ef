import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ScanKernel } from './types.js';
import { KERNEL_ABI, KERNEL_FUNCTIONS, SCAN_CHUNK, type KernelExports } from './wasm/abi.js';

/** Where `npm run build:wasm` (scripts/build-wasm.mjs) writes the kernel. */
export const WASM_KERNEL_PATH = fileURLToPath(new URL('../../../build/wasm/kernel.wasm', import.meta.url));

/** nonces per call into wasm: bounds one call's time and lets V8 swap in its optimized code */
const CHUNK = SCAN_CHUNK;

// The project's TypeScript libs (ES2022 + @types/node) do not declare WebAssembly: the few parts
// used here, typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, Record<string, unknown>>): Promise<WasmInstance>;
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

// A minimal module whose one function returns `i32x4.splat(i32.const 0)`: it validates exactly
// when the runtime has 128-bit SIMD.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0; i32x4.splat; end
]);

/** True when this runtime runs WebAssembly with 128-bit SIMD. */
export function hasWasmSimd(): boolean {
  try {
    return WebAssembly !== undefined && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

const modules = new Map<string, Promise<WasmModule>>();

async function compileOnce(path: string): Promise<WasmModule> {
  let p = modules.get(path);
  if (!p) {
    p = compileFile(path);
    modules.set(path, p);
    p.catch(() => modules.delete(path));
  }
  return p;
}

async function compileFile(path: string): Promise<WasmModule> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`the wasm kernel is not built: ${path} is missing (run "npm run build:wasm")`);
    }
    throw new Error(`cannot read the wasm kernel ${path}: ${(err as Error).message}`);
  }
  try {
    return await (WebAssembly as WasmApi).compile(bytes);
  } catch (err) {
    throw new Error(
      `${path} is not a usable WebAssembly module (${(err as Error).message}); rebuild it with "npm run build:wasm"`,
    );
  }
}

/**
 * The WebAssembly SIMD kernel: four nonces per v128, the whole sha256d unrolled, with the midstate,
 * the nonce-independent rounds and message words prepared once per header, and the second
 * SHA-256 stopped after 61 rounds (top-32-bit check). Candidates come back through linear memory.
 *
 * Throws an Error with the reason when the runtime lacks SIMD or the module is missing or stale.
 * @param options.path another kernel.wasm (tests)
 */
export async function loadWasmKernel(options: { path?: string } = {}): Promise<ScanKernel> {
  if (!hasWasmSimd()) {
    throw new Error('this JavaScript runtime has no WebAssembly 128-bit SIMD (Node 16.4 or newer has it)');
  }
  const path = options.path ?? WASM_KERNEL_PATH;
  const wasm = WebAssembly as WasmApi;
  const module = await compileOnce(path);
  const abort = (): never => {
    throw new Error('wasm kernel aborted');
  };
  let instance: WasmInstance;
  try {
    instance = await wasm.instantiate(module, { env: { abort } });
  } catch (err) {
    throw new Error(`cannot instantiate ${path} (${(err as Error).message}); rebuild it with "npm run build:wasm"`);
  }
  const ex = instance.exports as unknown as Partial<KernelExports<WasmMemory>>;
  for (const name of KERNEL_FUNCTIONS) {
    if (typeof ex[name] !== 'function') {
      throw new Error(`${path} lacks the export "${name}": it is not this kernel; rebuild it with "npm run build:wasm"`);
    }
  }
  if (!(ex.memory instanceof wasm.Memory)) {
    throw new Error(`${path} exports no memory; rebuild it with "npm run build:wasm"`);
  }
  const k = ex as KernelExports<WasmMemory>;
  const abi = k.abiVersion();
  if (abi !== KERNEL_ABI) {
    throw new Error(`${path} speaks kernel ABI ${abi}, this loader ${KERNEL_ABI}; rebuild it with "npm run build:wasm"`);
  }
  const headerPtr = k.headerPtr();
  const outIndex = k.outPtr() >>> 2;
  const outCap = k.outCap() >>> 0;
  let closed = false;

  return {
    name: 'wasm',
    detail: 'wasm simd128, 4 lanes, unrolled, midstate and nonce-independent words once per header, early exit after round 61',
    scan(header80, start, count, topWord, maxCandidates) {
      if (closed) throw new Error('the wasm kernel is closed');
      if (header80.length !== 80) throw new RangeError(`header must be 80 bytes, got ${header80.length}`);
      if (!Number.isInteger(start) || start < 0 || start > 0xffffffff) {
        throw new RangeError(`start must be a nonce (0 .. 2^32-1), got ${start}`);
      }
      if (!Number.isInteger(count) || count < 0 || start + count > 2 ** 32) {
        throw new RangeError(`count must be an integer with start + count <= 2^32, got start ${start}, count ${count}`);
      }
      const out: number[] = [];
      if (count === 0 || !(maxCandidates >= 1)) return out;
      // the memory never grows, but take fresh views anyway: they are cheap next to a scan
      const bytes = new Uint8Array(k.memory.buffer);
      const words = new Uint32Array(k.memory.buffer);
      bytes.set(header80, headerPtr);
      k.prepare();
      const top = topWord | 0;
      let next = start;
      let left = count;
      while (left > 0 && out.length < maxCandidates) {
        const n = Math.min(left, CHUNK);
        const cap = Math.min(outCap, maxCandidates - out.length);
        const found = k.scan(next | 0, n, top, cap) >>> 0;
        for (let i = 0; i < found; i++) out.push(words[outIndex + i]);
        if (found === cap) {
          // the buffer (or the caller's bound) is full: go on after the last candidate
          const used = out[out.length - 1] - next + 1;
          next += used;
          left -= used;
        } else {
          next += n;
          left -= n;
        }
      }
      return out;
    },
    close() {
      closed = true;
    },
  };
}

// The WebAssembly SIMD kernel timed where the browser worker runs it: in headless Chromium (Debian's
// /usr/bin/chromium, or CHROMIUM_PATH), driven by playwright-core. The page gets the kernel's bytes
// and nothing else: no network, no server. Rates are hashes per second of wall time and, on Linux,
// per second of the renderer process's CPU time (what a thread of a busy machine really does).
import { readFile, readdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';

/** Where bench looks for Chromium unless CHROMIUM_PATH says otherwise. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserWasm {
  /** hashes one round of about `ms` milliseconds; returns hashes, wall seconds and renderer CPU seconds (NaN off Linux) */
  round(ms: number): Promise<{ hashes: number; wall: number; cpu: number }>;
  version: string;
  close(): Promise<void>;
}

// Runs in the page: instantiates the kernel, writes the header, prepares it and installs
// globalThis.mmKernel.run(ms) -> hashes (2^16 nonces a call, as the browser worker does).
const PAGE_SETUP = `async function (b64, head) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() { throw new Error('wasm kernel aborted'); } } });
  const k = instance.exports;
  new Uint8Array(k.memory.buffer).set(head, k.headerPtr());
  k.prepare();
  let next = 0;
  globalThis.mmKernel = {
    run(ms) {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < ms) {
        if (next + 65536 > 2 ** 32) next = 0;
        k.scan(next, 65536, 0, 16);
        next += 65536;
        n += 65536;
      }
      return n;
    },
  };
  globalThis.mmKernel.run(300); // tier-up to the optimizing compiler
}`;

/**
 * Opens Chromium with the kernel at `wasmPath` instantiated in a blank page, prepared on block
 * 125552's header. Throws with the reason when Chromium or playwright-core is missing.
 */
export async function openBrowserWasm(wasmPath: string, header: Uint8Array): Promise<BrowserWasm> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (install Debian's chromium or set CHROMIUM_PATH)`);
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed (a devDependency: npm install without --omit=dev)');
  }
  const bytes = await readFile(wasmPath).catch(() => {
    throw new Error(`the wasm kernel is not built: ${wasmPath} is missing (run "npm run build:wasm")`);
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  try {
    const page = await browser.newPage();
    // plain text, not a function: the TypeScript loader's helpers do not exist in the page
    await page.evaluate(`(${PAGE_SETUP})(${JSON.stringify(bytes.toString('base64'))}, ${JSON.stringify(Array.from(header))})`);
    const renderers = await rendererPids();
    return {
      version: browser.version(),
      async round(ms) {
        const c0 = cpuSeconds(renderers);
        const t0 = performance.now();
        const hashes = Number(await page.evaluate(`globalThis.mmKernel.run(${Number(ms)})`));
        const wall = (performance.now() - t0) / 1000;
        return { hashes, wall, cpu: cpuSeconds(renderers) - c0 };
      },
      close: () => browser.close(),
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** the renderer processes of the Chromium this process started (Linux /proc; empty elsewhere) */
async function rendererPids(): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // a renderer of a Chromium whose parent chain leads here: the zygote's children; match on the
      // type and on our own user data dir (playwright makes a fresh one per launch)
      if (cmd.includes('--type=renderer') && ancestorOf(Number(stat.split(') ')[1].split(' ')[1]))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function ancestorOf(pid: number): boolean {
  for (let i = 0; i < 16 && pid > 1; i++) {
    if (pid === process.pid) return true;
    try {
      pid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    } catch {
      return false;
    }
  }
  return false;
}

function cpuSeconds(pids: number[]): number {
  if (pids.length === 0) return NaN;
  let ticks = 0;
  for (const p of pids) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      return NaN;
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Chromium's flags for WebGPU on its software adapter where there is no GPU (HINTS: SwiftShader). */
const GPU_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Runs in the page: the worker page's own threads (worker/gpu-worker.js and worker/hash-worker.js,
// the built files), one of each; round(kind, ms) hashes for about ms and answers {hashes, wall}.
const GPU_PAGE = `
const head = new Uint8Array(HEADER);
function thread(script, init) {
  const w = new Worker(script);
  const t = { w, kind: script, onmsg: null };
  w.onmessage = (e) => t.onmsg && t.onmsg(e.data);
  return new Promise((resolve, reject) => {
    t.onmsg = (m) => {
      if (m.type === 'ready') {
        t.ready = m;
        resolve(t);
      }
      else if (m.type === 'error') reject(new Error(m.message));
    };
    w.postMessage(init);
  });
}
let seq = 0;
function round(t, ms) {
  return new Promise((resolve, reject) => {
    let hashes = 0;
    const id = ++seq;
    const t0 = performance.now();
    let stopping = false;
    t.onmsg = (m) => {
      if (m.type === 'progress' && m.id === id) hashes += m.hashes;
      else if (m.type === 'stopped' && stopping) resolve({ hashes, wall: (performance.now() - t0) / 1000 });
      else if (m.type === 'error') reject(new Error(m.message));
    };
    t.w.postMessage({ type: 'work', id, header: head, topWord: 0, start: (id * 2 ** 26) % 2 ** 31, count: 2 ** 31 });
    setTimeout(() => { stopping = true; t.w.postMessage({ type: 'stop' }); }, ms);
  });
}
globalThis.mmBench = (async () => {
  const wasm = await (await fetch('/kernel.wasm')).arrayBuffer();
  const cpu = await thread('/hash-worker.js', { type: 'init', wasm });
  let gpu = null, gpuInfo = null, gpuError = null;
  try {
    gpu = await thread('/gpu-worker.js', { type: 'init' });
    gpu.onmsg = null;
  } catch (e) { gpuError = e.message; }
  if (gpu) gpuInfo = gpu.ready.adapter.class + ' adapter ' + gpu.ready.adapter.vendor + '/' + gpu.ready.adapter.architecture + ', ' + gpu.ready.perDispatch + ' nonces a dispatch (~' + Math.round(gpu.ready.tunedMs) + ' ms)';
  return { cpu, gpu, gpuError, gpuInfo, round };
})();
`;

export interface BrowserGpu {
  version: string;
  /** the GPU thread's adapter and tuned dispatch, or null with `error` */
  detail: string | null;
  error: string | null;
  round(kind: 'webgpu' | 'wasm', ms: number): Promise<{ hashes: number; wall: number }>;
  close(): Promise<void>;
}

/**
 * Opens Chromium with WebGPU (SwiftShader where there is no GPU) on a page served from 127.0.0.1
 * (a secure context) that runs the worker page's own GPU thread and one WASM thread from
 * `webDir` (build/web) and `wasmPath`. Throws with the reason when something is missing.
 */
export async function openBrowserGpu(webDir: string, wasmPath: string, header: Uint8Array): Promise<BrowserGpu> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (install Debian's chromium or set CHROMIUM_PATH)`);
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed (a devDependency: npm install without --omit=dev)');
  }
  const files: Record<string, { body: Buffer; type: string }> = {};
  for (const [name, path, type] of [
    ['/gpu-worker.js', `${webDir}/gpu-worker.js`, 'text/javascript'],
    ['/hash-worker.js', `${webDir}/hash-worker.js`, 'text/javascript'],
    ['/kernel.wasm', wasmPath, 'application/wasm'],
  ] as const) {
    const body = await readFile(path).catch(() => {
      throw new Error(`${path} is missing (run "npm run build:web" and "npm run build:wasm")`);
    });
    files[name] = { body, type };
  }
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (f) res.writeHead(200, { 'content-type': f.type }).end(f.body);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const stopServer = () => new Promise<void>((r) => server.close(() => r()));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: GPU_ARGS, timeout: 60_000 }).catch(async (err) => {
    await stopServer();
    throw err;
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
    await page.evaluate(`(() => {${GPU_PAGE.replace('HEADER', JSON.stringify(Array.from(header)))}})()`);
    const info = (await page.evaluate(`globalThis.mmBench.then((b) => ({ error: b.gpuError, detail: b.gpuInfo }))`)) as {
      error: string | null;
      detail: string | null;
    };
    // warm-up: tier-up of the wasm code, the GPU's first dispatches
    await page.evaluate(`globalThis.mmBench.then(async (b) => { await b.round(b.cpu, 300); if (b.gpu) await b.round(b.gpu, 300); })`);
    return {
      version: browser.version(),
      detail: info.detail,
      error: info.error,
      round: (kind, ms) =>
        page.evaluate(`globalThis.mmBench.then((b) => b.round(${kind === 'webgpu' ? 'b.gpu' : 'b.cpu'}, ${Number(ms)}))`) as Promise<{
          hashes: number;
          wall: number;
        }>,
      close: async () => {
        await browser.close();
        await stopServer();
      },
    };
  } catch (err) {
    await browser.close();
    await stopServer();
    throw err;
  }
}

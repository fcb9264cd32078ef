// `micro-mining worker --gpu` where there is no GPU to hash on: the `webgpu` package (Dawn for
// Node) is not installed (it is no dependency), or it is installed and finds no adapter (this
// machine: no Vulkan driver). Either way one clear message names what is missing, and the agent
// hashes with its CPU kernels; the hub sees it work with a CPU kernel and credits its shares.
// MM_TEST_WEBGPU=/path/to/node_modules/webgpu runs the "installed, no adapter" case with that real
// Dawn too (npm install --prefix DIR webgpu).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerAgent, openNodeGpu, type GpuScan, type WebgpuModule } from '../../src/worker/index.js';
import { createJsKernel } from '../../src/core/index.js';
import { GpuFault } from '../../src/web/index.js';
import { logger } from '../../src/log.js';
import pinoFactory from 'pino';
import { hubEndpoint, until, type HubEndpoint } from '../worker/support.js';

let hub: HubEndpoint;
let agent: WorkerAgent | null = null;
const agents: WorkerAgent[] = [];

before(async () => {
  hub = await hubEndpoint({ jobIntervalS: 5 });
});

after(async () => {
  await agent?.stop();
  for (const a of agents) await a.stop();
  await hub.stop();
});

const MISSING =
  /the optional package "webgpu" \(Dawn for Node\) is not installed; run "npm install webgpu"|"webgpu" \(Dawn\) is installed but found no GPU adapter/;

test('without the webgpu package, or without an adapter, openNodeGpu says which in one sentence', async () => {
  const r = await openNodeGpu();
  assert.equal(r.scanner, undefined);
  assert.match(r.reason!, MISSING);
  // a package that is there but is not Dawn
  const odd = await openNodeGpu({ load: async () => ({}) as WebgpuModule });
  assert.match(odd.reason!, /has no create\(\)/);
  // a package that fails to load
  const broken = await openNodeGpu({ load: async () => Promise.reject(new Error('dawn.node: invalid ELF header')) });
  assert.match(broken.reason!, /the "webgpu" package did not load \(dawn.node: invalid ELF header\)/);
  // missing: the loader's own error code
  const missing = await openNodeGpu({
    load: async () => Promise.reject(Object.assign(new Error("Cannot find package 'webgpu'"), { code: 'ERR_MODULE_NOT_FOUND' })),
  });
  assert.match(missing.reason!, /is not installed; run "npm install webgpu"/);
});

test('real Dawn without an adapter (MM_TEST_WEBGPU)', {
  skip: process.env.MM_TEST_WEBGPU ? false : 'set MM_TEST_WEBGPU to an installed webgpu package',
}, async () => {
  const path = process.env.MM_TEST_WEBGPU!;
  const r = await openNodeGpu({ load: () => import(`${path}/index.js`) as Promise<WebgpuModule> });
  if (r.scanner) {
    // a machine with a GPU: the kernel passed its known-answer test there
    console.log(`# webgpu in Node: ${r.scanner.detail}`);
    r.scanner.close();
    return;
  }
  assert.match(r.reason!, /"webgpu" \(Dawn\) is installed but found no GPU adapter/);
});

test('the agent with --gpu and no GPU: one clear warning, the CPU kernels hash, the hub credits the shares', async () => {
  const lines: { level: number; msg: string; reason?: string }[] = [];
  const log = logger('worker');
  const sink = { write: (s: string) => lines.push(JSON.parse(s)) };
  const captured = pinoFactory({ level: 'info' }, sink) as unknown as typeof log;
  agent = new WorkerAgent({
    hub: `stratum+tcp://127.0.0.1:${hub.port}`,
    name: 'pc-gpu',
    threads: 1,
    kernel: 'js',
    nice: 0,
    hostname: 'pc-gpu',
    mac: null,
    yield: { maxLoadPercent: 100, resumeAfterS: 0, onBattery: false },
    suggestDifficulty: 0.00001,
    gpu: true,
    loadMeter: () => 0,
    battery: () => null,
    logger: captured,
  });
  const gpuEvent = new Promise<{ ok: boolean; reason?: string }>((r) => agent!.once('gpu', r));
  await agent.start();
  const g = await gpuEvent;
  assert.equal(g.ok, false);
  assert.match(g.reason!, MISSING);
  const warn = lines.filter((l) => /^--gpu: no GPU to hash on/.test(l.msg));
  assert.equal(warn.length, 1, 'one warning');
  assert.match(warn[0].msg, /; hashing with the CPU kernels only$/);
  const w = await until(
    'the agent reports it works with a CPU kernel',
    () => {
      const c = hub.control.list().find((x) => x.worker === 'pc-gpu');
      return c?.report?.state === 'working' ? c : undefined;
    },
    60_000,
  );
  assert.equal(w.report!.kernel, 'js');
  assert.equal(w.report!.wattsEstimate, undefined, 'no GPU power estimate without a GPU');
  assert.equal(agent.state().gpuOff, g.reason);
  await until('shares from the CPU kernel credited', () => (hub.manager.stats.snapshot().find((s) => s.name === 'pc-gpu')?.accepted ?? 0) >= 1, 90_000);
});

/**
 * A stand-in GPU scanner (no GPU runs in Node on this machine): the JS kernel behind the scanner's
 * face, so the agent's GPU driver (units, finds, pause, faults) runs for real around it.
 */
function standInScanner(faultAfter?: number): GpuScan {
  const k = createJsKernel();
  let header = new Uint8Array(80);
  let top = 0;
  let scans = 0;
  return {
    perDispatch: 8192,
    adapter: { vendor: 'stand-in', architecture: 'js', description: 'stand-in', class: 'integrated' },
    detail: 'stand-in scanner (the JS kernel)',
    setHeader(h: Uint8Array, t: number) {
      header = Uint8Array.from(h);
      top = t;
    },
    async scan(start: number, count: number) {
      if (faultAfter !== undefined && ++scans > faultAfter) throw new GpuFault('lost', 'the GPU device was lost mid-scan (stand-in)');
      await new Promise((r) => setImmediate(r));
      return { candidates: k.scan(header, start, count, top, 64), hashes: count, overflow: 0, ms: 1 };
    },
    close() {},
  };
}

const agentWith = (name: string, threads: number, scanner: GpuScan, lines: { msg: string }[] = []) => {
  return new WorkerAgent({
    hub: `stratum+tcp://127.0.0.1:${hub.port}`,
    name,
    threads,
    kernel: 'js',
    nice: 0,
    hostname: name,
    mac: null,
    yield: { maxLoadPercent: 100, resumeAfterS: 0, onBattery: false },
    suggestDifficulty: 0.00001,
    gpu: true,
    gpuOpen: async () => ({ scanner }),
    loadMeter: () => 0,
    battery: () => null,
    logger: pinoLines(lines),
  });
};

function pinoLines(lines: { msg: string }[]): ReturnType<typeof logger> {
  const sink = { write: (s: string) => lines.push(JSON.parse(s)) };
  return pinoFactory({ level: 'info' }, sink) as unknown as ReturnType<typeof logger>;
}

test('stand-in GPU scanner: the agent hashes on the GPU path, reports webgpu and an estimated power, the hub credits the shares, a pause stops it', async () => {
  const a = agentWith('pc-gpu-standin', 0, standInScanner());
  agents.push(a);
  await a.start();
  const me = () => hub.control.list().find((x) => x.worker === 'pc-gpu-standin');
  const w = await until('the agent reports it works on the GPU', () => (me()?.report?.state === 'working' ? me() : undefined), 60_000);
  assert.equal(w!.report!.kernel, 'webgpu');
  assert.equal(w!.report!.threads, 1);
  assert.equal(w!.report!.wattsEstimate, 15, 'estimated from the adapter class (integrated)');
  assert.equal(w!.report!.watts, undefined, 'not declared');
  await until(
    'shares found by the GPU path credited by the hub',
    () => (hub.manager.stats.snapshot().find((s) => s.name === 'pc-gpu-standin')?.accepted ?? 0) >= 2,
    90_000,
  );
  hub.control.setWorking('pc-gpu-standin', false, 'test pause');
  await until('the agent reports it stopped', () => (me()?.report?.state === 'paused' && me()?.report?.threads === 0 ? true : undefined), 30_000);
  const h = a.state().hashes;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(a.state().hashes, h, 'no GPU hash while paused');
  hub.control.setWorking('pc-gpu-standin', true, 'test resume');
  await until('it works again', () => (me()?.report?.state === 'working' && me()?.report?.kernel === 'webgpu' ? true : undefined), 30_000);
});

test('stand-in GPU scanner that faults: the GPU is off for the session with a clear message, the CPU thread goes on', async () => {
  const lines: { msg: string }[] = [];
  const a = agentWith('pc-gpu-fault', 1, standInScanner(5), lines);
  agents.push(a);
  await a.start();
  const me = () => hub.control.list().find((x) => x.worker === 'pc-gpu-fault');
  await until(
    'the GPU fault is logged',
    () => lines.find((l) => /^GPU off for this session: the GPU device was lost mid-scan \(stand-in\); hashing with the CPU kernels only$/.test(l.msg)),
    60_000,
  );
  await until('the agent reports the CPU kernel alone', () => (me()?.report?.state === 'working' && me()?.report?.kernel === 'js' ? true : undefined), 60_000);
  assert.match(a.state().gpuOff ?? '', /lost mid-scan/);
  const before = hub.manager.stats.snapshot().find((s) => s.name === 'pc-gpu-fault')?.accepted ?? 0;
  await until('shares after the fault', () => (hub.manager.stats.snapshot().find((s) => s.name === 'pc-gpu-fault')?.accepted ?? 0) > before, 90_000);
});

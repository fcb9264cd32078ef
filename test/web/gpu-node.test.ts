// `micro-mining worker --gpu` where there is no GPU to hash on: the `webgpu` package (Dawn for
// Node) is not installed (it is no dependency), or it is installed and finds no adapter (this
// machine: no Vulkan driver). Either way one clear message names what is missing, and the agent
// hashes with its CPU kernels; the hub sees it work with a CPU kernel and credits its shares.
// MM_TEST_WEBGPU=/path/to/node_modules/webgpu runs the "installed, no adapter" case with that real
// Dawn too (npm install --prefix DIR webgpu).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerAgent, openNodeGpu, type WebgpuModule } from '../../src/worker/index.js';
import { logger } from '../../src/log.js';
import { hubEndpoint, until, type HubEndpoint } from '../worker/support.js';

let hub: HubEndpoint;
let agent: WorkerAgent | null = null;

before(async () => {
  hub = await hubEndpoint({ jobIntervalS: 5 });
});

after(async () => {
  await agent?.stop();
  await hub.stop();
});

const MISSING = /the optional package "webgpu" \(Dawn for Node\) is not installed; run "npm install webgpu"|"webgpu" \(Dawn\) is installed but found no GPU adapter/;

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
  const missing = await openNodeGpu({ load: async () => Promise.reject(Object.assign(new Error("Cannot find package 'webgpu'"), { code: 'ERR_MODULE_NOT_FOUND' })) });
  assert.match(missing.reason!, /is not installed; run "npm install webgpu"/);
});

test('real Dawn without an adapter (MM_TEST_WEBGPU)', { skip: process.env.MM_TEST_WEBGPU ? false : 'set MM_TEST_WEBGPU to an installed webgpu package' }, async () => {
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
  const pino = (await import('pino')).default;
  const captured = pino({ level: 'info' }, sink) as unknown as typeof log;
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
  const w = await until('the agent reports it works with a CPU kernel', () => {
    const c = hub.control.list().find((x) => x.worker === 'pc-gpu');
    return c?.report?.state === 'working' ? c : undefined;
  }, 60_000);
  assert.equal(w.report!.kernel, 'js');
  assert.equal(w.report!.wattsEstimate, undefined, 'no GPU power estimate without a GPU');
  assert.equal(agent.state().gpuOff, g.reason);
  await until('shares from the CPU kernel credited', () => (hub.manager.stats.snapshot().find((s) => s.name === 'pc-gpu')?.accepted ?? 0) >= 1, 90_000);
});

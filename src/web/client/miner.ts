/// <reference lib="dom" />
// The worker page's miner: Stratum over a WebSocket to the hub (same origin, path worker/ws), the
// hub's pause extension (kind "browser"), hashing threads in Web Workers: one GPU thread running the
// WebGPU kernel (gpu-worker.ts) when the browser has WebGPU and the hub allows it (body data-gpu),
// else the project's WebAssembly SIMD kernel (hash-worker.ts); a GPU fault (lost device, a dispatch
// that never returns, a wrong candidate) turns the GPU off for the session and the page goes on with
// WASM. It pauses while the page is hidden, on battery (where the browser says) or when the hub
// pauses it. Header assembly, targets and share checks: the project's core.
import { assembleHeader, extranonce2Hex, type StratumJob } from '../../core/header.js';
import { topWordOf, verifyCandidates } from '../../core/scan.js';
import { difficultyToTarget } from '../../core/target.js';
import { u32Hex } from '../../core/hex.js';
import { Threads, type Thread } from './threads.js';

const EXT = 'micro-mining-control';

const $ = (id: string) => document.getElementById(id)!;

const state = {
  ws: null as WebSocket | null,
  buf: '',
  nextId: 1,
  pending: new Map<number, (m: { result: unknown; error: unknown }) => void>(),
  extranonce1: '',
  extranonce2Size: 4,
  en2: 0,
  job: null as StratumJob | null,
  difficulty: 1,
  authorized: false,
  controlled: false,
  hubPaused: false,
  hubReason: '',
  hubThreads: null as number | null,
  hidden: document.hidden,
  onBattery: false,
  running: false,
  hashes: 0,
  samples: [] as { t: number; h: number }[],
  accepted: 0,
  rejected: 0,
  unitId: 0,
  stopT0: 0,
  lastReportKey: '',
  name: '',
};

function log(msg: string): void {
  const el = $('log');
  el.textContent = `${new Date().toLocaleTimeString()} ${msg}\n${el.textContent ?? ''}`.slice(0, 4000);
}

function send(method: string, params: unknown[], id: number | null = state.nextId++): Promise<{ result: unknown; error: unknown }> | undefined {
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return id === null ? undefined : Promise.resolve({ result: null, error: 'not connected' });
  ws.send(`${JSON.stringify({ id, method, params })}\n`);
  if (id === null) return;
  return new Promise((resolve) => state.pending.set(id, resolve));
}

function wanted(): number {
  if (!state.running || state.hubPaused || state.hidden || state.onBattery || !state.job || !state.authorized) return 0;
  return Math.min(pool.max, state.hubThreads ?? pool.max);
}

function why(): string {
  if (!state.running) return 'stopped on this page';
  if (state.hubPaused) return `paused by the hub${state.hubReason ? `: ${state.hubReason}` : ''}`;
  if (state.hidden) return 'paused: the page is hidden';
  if (state.onBattery) return 'paused: on battery';
  if (!state.authorized) return 'connecting';
  if (!state.job) return 'waiting for work';
  return 'hashing';
}

/** Starts or stops threads to match what is wanted; reports to the hub once they really stopped. */
function apply(): void {
  const n = wanted();
  for (let i = 0; i < pool.list.length; i++) {
    const t = pool.list[i];
    if (i < n) {
      if (!t.hashing && t.ready) giveWork(t);
    } else if (t.hashing) {
      t.w.postMessage({ type: 'stop' });
      t.unit = null;
    }
  }
  render();
  maybeReport();
}

function giveWork(t: Thread): void {
  const job = state.job;
  if (!job) return;
  const extranonce2 = extranonce2Hex(state.en2++ % 2 ** Math.min(48, 8 * state.extranonce2Size), state.extranonce2Size);
  const { header } = assembleHeader(job, { extranonce1: state.extranonce1, extranonce2 });
  const target = difficultyToTarget(state.difficulty);
  t.unit = { id: ++state.unitId, header, target, jobId: job.jobId, extranonce2, ntime: job.ntime };
  t.hashing = true;
  t.w.postMessage({ type: 'work', id: t.unit.id, header, topWord: topWordOf(target), start: 0, count: 2 ** 32 });
}

function onProgress(t: Thread, m: { id: number; hashes: number; candidates: number[]; done: boolean }): void {
  state.hashes += m.hashes;
  state.samples.push({ t: performance.now(), h: m.hashes });
  const u = t.unit;
  if (!u || u.id !== m.id) return;
  if (m.candidates.length) {
    for (const f of verifyCandidates(u.header, m.candidates, u.target)) {
      void (send('mining.submit', [state.name, u.jobId, u.extranonce2, u.ntime, u32Hex(f.nonce)]) as Promise<{ result: unknown; error: unknown }>).then((r) => {
        if (r.result === true) state.accepted++;
        else state.rejected++;
        render();
      });
    }
  }
  if (m.done && wanted() > 0) giveWork(t);
}

function hashrate(): number {
  const now = performance.now();
  while (state.samples.length && now - state.samples[0].t > 5000) state.samples.shift();
  if (!state.samples.length || !pool.list.some((t) => t.hashing)) return 0;
  const h = state.samples.reduce((s, x) => s + x.h, 0);
  return h / Math.max(1, (now - state.samples[0].t + 250) / 1000);
}

function render(): void {
  const active = pool.list.filter((t) => t.hashing).length;
  $('state').textContent = why();
  $('threads').textContent = `${active} of ${pool.max}${pool.kernel === 'webgpu' ? ' (GPU)' : ''}`;
  $('kernel').textContent = pool.text();
  $('rate').textContent = `${(hashrate() / 1000).toFixed(1)} kH/s`;
  $('shares').textContent = `${state.accepted} accepted, ${state.rejected} rejected`;
  $('hashes').textContent = String(state.hashes);
  document.body.dataset.state = active > 0 ? 'hashing' : 'idle';
}

/** Tells the hub what the page does (extension), when it changed. */
function maybeReport(force = false): void {
  if (!state.controlled || !state.authorized) return;
  const active = pool.list.filter((t) => t.hashing).length;
  const st = state.hubPaused ? 'paused' : state.hidden || state.onBattery ? 'yielding' : active > 0 ? 'working' : 'idle';
  const key = `${st}|${active}|${pool.kernel}`;
  if (!force && key === state.lastReportKey) return;
  // a stop counts once every thread said it stopped
  if (active > 0 && wanted() === 0) return;
  state.lastReportKey = key;
  const report: Record<string, unknown> = { state: st, threads: active, hashrate: active ? hashrate() : 0, hashes: state.hashes };
  if (pool.kernel) report.kernel = pool.kernel;
  const gpuW = pool.gpuWattsEstimate();
  if (gpuW !== null) report.wattsEstimate = gpuW;
  if (st !== 'working') report.reason = why();
  void send('mining.mm_state', [report]);
}

function onLine(line: string): void {
  let m: { id?: number | null; method?: string; params?: unknown[]; result?: unknown; error?: unknown };
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.method === undefined) {
    const cb = typeof m.id === 'number' ? state.pending.get(m.id) : undefined;
    if (cb) {
      state.pending.delete(m.id as number);
      cb({ result: m.result, error: m.error ?? null });
    }
    return;
  }
  const p = m.params ?? [];
  switch (m.method) {
    case 'mining.notify': {
      state.job = {
        jobId: String(p[0]),
        prevhash: String(p[1]),
        coinb1: String(p[2]),
        coinb2: String(p[3]),
        merkleBranch: (p[4] as string[]) ?? [],
        version: String(p[5]),
        nbits: String(p[6]),
        ntime: String(p[7]),
        cleanJobs: p[8] === true,
      };
      for (const t of pool.list) if (t.hashing) giveWork(t);
      apply();
      break;
    }
    case 'mining.set_difficulty':
      state.difficulty = Number(p[0]) || state.difficulty;
      break;
    case 'mining.mm_pause':
      state.hubPaused = true;
      state.hubReason = typeof p[0] === 'string' ? p[0] : '';
      state.stopT0 = performance.now();
      log(`hub: pause${state.hubReason ? ` (${state.hubReason})` : ''}`);
      apply();
      break;
    case 'mining.mm_resume':
      state.hubPaused = false;
      log('hub: resume');
      apply();
      break;
    case 'mining.mm_threads':
      state.hubThreads = typeof p[0] === 'number' && p[0] >= 0 ? p[0] : null;
      apply();
      break;
    case 'client.show_message':
      log(`hub: ${String(p[0]).slice(0, 200)}`);
      break;
    default:
      if (m.id !== null && m.id !== undefined) state.ws?.send(`${JSON.stringify({ id: m.id, result: null, error: [20, 'unknown method', null] })}\n`);
  }
}

async function connect(): Promise<void> {
  const url = new URL('worker/ws', location.href.replace(/\/worker\/?(\?.*)?$/, '/'));
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onmessage = (e) => {
    state.buf += String(e.data);
    if (state.buf.length > 1 << 20) return ws.close();
    let i: number;
    while ((i = state.buf.indexOf('\n')) >= 0) {
      const line = state.buf.slice(0, i);
      state.buf = state.buf.slice(i + 1);
      if (line.trim()) onLine(line);
    }
  };
  ws.onclose = () => {
    state.authorized = false;
    state.controlled = false;
    state.job = null;
    apply();
    log('disconnected from the hub; trying again in 5 s');
    if (state.running) setTimeout(() => void connect(), 5000);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('cannot reach the hub'));
  });
  const cfg = (await send('mining.configure', [
    ['version-rolling', EXT],
    { 'version-rolling.mask': '00000000', [`${EXT}.kind`]: 'browser', [`${EXT}.hostname`]: state.name },
  ])) as { result: Record<string, unknown> | null };
  state.controlled = cfg.result?.[EXT] === true;
  const sub = (await send('mining.subscribe', ['micro-mining-browser/0.1.0'])) as { result: unknown; error: unknown };
  if (!Array.isArray(sub.result)) throw new Error(`the hub refused the subscription: ${JSON.stringify(sub.error)}`);
  state.extranonce1 = String(sub.result[1]);
  state.extranonce2Size = Number(sub.result[2]);
  // ?difficulty=D asks the hub for this share difficulty (as `micro-mining worker --difficulty`)
  const wish = Number(new URLSearchParams(location.search).get('difficulty'));
  if (wish > 0 && wish <= 1e12) await send('mining.suggest_difficulty', [wish]);
  const password = ($('password') as HTMLInputElement).value;
  const auth = (await send('mining.authorize', [state.name, password || 'x'])) as { result: unknown; error: unknown };
  if (auth.result !== true) {
    // a wrong password or name does not get better by retrying: stop, and let the user fix it
    state.running = false;
    ($('start') as HTMLButtonElement).disabled = false;
    ws.close();
    throw new Error(`the hub refused this worker: ${JSON.stringify(auth.error)}; check the name and the endpoint password`);
  }
  state.authorized = true;
  log(`joined the hub as ${state.name}${state.controlled ? '' : ' (the hub did not take the pause extension)'}`);
  apply();
  maybeReport(true);
}

async function start(): Promise<void> {
  const nameInput = $('name') as HTMLInputElement;
  state.name = (nameInput.value.trim() || `browser-${Math.random().toString(36).slice(2, 8)}`).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  nameInput.value = state.name;
  localStorage.setItem('mm-worker-name', state.name);
  if (!pool.list.length) await pool.start();
  state.running = true;
  ($('start') as HTMLButtonElement).disabled = true;
  await connect();
}

const pool = new Threads(
  () => location.href.replace(/\/worker\/?(\?.*)?$/, '/'),
  {
    ready: () => apply(),
    progress: (t, m) => onProgress(t, m),
    stopped: () => {
      if (state.stopT0 && !pool.list.some((x) => x.hashing)) {
        log(`threads stopped ${(performance.now() - state.stopT0).toFixed(0)} ms after the pause`);
        state.stopT0 = 0;
      }
      render();
      maybeReport();
    },
    switched: () => {
      apply();
      maybeReport(true);
    },
    log,
  },
  {
    gpuAllowed: document.body.dataset.gpu !== '0',
    // TEST HOOK: ?mm-test-fault=lost|hang|wrong, honoured only when the hub serves the page in test mode
    testFault: document.body.dataset.testHooks === '1' ? new URLSearchParams(location.search).get('mm-test-fault') : null,
  },
);

document.addEventListener('visibilitychange', () => {
  state.hidden = document.hidden;
  apply();
});

type Battery = EventTarget & { charging: boolean; level: number };
(navigator as Navigator & { getBattery?: () => Promise<Battery> }).getBattery?.().then(
  (b) => {
    const upd = () => {
      state.onBattery = !b.charging;
      apply();
    };
    b.addEventListener('chargingchange', upd);
    upd();
  },
  () => {},
);

setInterval(() => {
  render();
  maybeReport();
}, 1000);
setInterval(() => maybeReport(true), 10_000);

($('name') as HTMLInputElement).value = localStorage.getItem('mm-worker-name') ?? '';
$('start').addEventListener('click', () => start().catch((err: Error) => log(err.message)));
if (new URLSearchParams(location.search).has('autostart')) {
  const n = new URLSearchParams(location.search).get('name');
  if (n) ($('name') as HTMLInputElement).value = n;
  start().catch((err: Error) => log(err.message));
}
render();

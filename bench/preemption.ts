// Preemption latency: an appliance event (the hub turns busy) -> the deployed default flow in the
// embedded Node-RED -> dispatch -> the real hash pool's threads stopped. Prints, over N runs, the
// time to the plan being applied (setThreads(0)) and to the last hash batch coming back from the
// worker threads (the threads really stopped hashing), median and worst.
// Then the other workers (docs/workers.md), against a real hub on loopback: a `micro-mining worker`
// process and the browser worker page in headless Chromium, from the hub's pause to the worker's
// report that its threads stopped (goal: 1 s). (A switched miner: test/worker/switch-ha.test.ts
// prints HA's service call time on the real HA test bed.)
//   npx tsx bench/preemption.ts [--runs 20] [--threads 2] [--no-workers]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNodes } from '../scripts/build-nodes.mjs';
import { DEFAULT_FLOW_FILE, FlowRuntime, InProcessHub } from '../src/flow/index.js';
import { HashPool, type WorkUnit } from '../src/hashpool/index.js';
import type { ApplianceInput, Plan } from '../src/schedule/index.js';
import { benchWorkers } from './preemption-workers.js';

function arg(name: string, dflt: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0 || v > max) {
    console.error(`--${name} must be an integer 1..${max} (got ${process.argv[i + 1]})`);
    process.exit(2);
  }
  return v;
}

const RUNS = arg('runs', 20, 1000);
const THREADS = arg('threads', Math.max(1, Math.min(2, availableParallelism() - 1)), 64);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hubApp = (status: ApplianceInput['status']): ApplianceInput => ({ id: 'dev-hub', name: 'Hub', status, roles: ['worker'], workerId: 'hub' });

async function main(): Promise<void> {
  await buildNodes({ quiet: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'mm-preempt-'));
  // the default flow, with no minimum pause so that runs can follow each other
  const flows = JSON.parse(readFileSync(DEFAULT_FLOW_FILE, 'utf8')) as Record<string, unknown>[];
  for (const n of flows) if (n.type === 'mm-policy') Object.assign(n, { minPauseSeconds: 0, minRunSeconds: 0, headroomCores: 0 });
  mkdirSync(join(dataDir, 'node-red'), { recursive: true });
  writeFileSync(join(dataDir, 'node-red', 'flows.json'), JSON.stringify(flows));

  const pool = new HashPool({ threads: 0, maxThreads: THREADS });
  let k = 0;
  const unit = (): WorkUnit => ({ jobId: 'bench', extranonce2: '00', header: new Uint8Array(80), target: 0n, start: (k++ % 256) * 2 ** 24, count: 2 ** 24 });
  pool.setSource(unit);
  await pool.start();
  const hub = new InProcessHub({ pool, cores: THREADS });
  hub.setAppliances([hubApp('busy')]);
  const rt = new FlowRuntime({ hub, dataDir, port: 0, editor: false });
  await rt.start();

  const waitPlan = (pred: (p: Plan) => boolean, ms = 5000) =>
    new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no plan in ${ms} ms (last: ${hub.lastPlan?.summary})`)), ms);
      const on = (p: Plan) => {
        if (!pred(p)) return;
        clearTimeout(t);
        hub.off('plan', on);
        resolve(performance.now());
      };
      hub.on('plan', on);
    });

  const applied: number[] = [];
  const stopped: number[] = [];
  try {
    await sleep(300);
    for (let i = 0; i < RUNS; i++) {
      const on = waitPlan((p) => p.hubThreads === THREADS);
      hub.updateAppliance(hubApp('idle'));
      await on;
      // hash for a while so that tasks are in flight
      const h0 = pool.stats().hashes;
      const until = performance.now() + 3000;
      while (pool.stats().hashes === h0 && performance.now() < until) await sleep(5);
      await sleep(50 + ((i * 37) % 150));
      const off = waitPlan((p) => p.hubThreads === 0);
      const t0 = performance.now();
      hub.updateAppliance(hubApp('busy'));
      const tApplied = await off;
      // the last hash batch reported after the event = when the threads stopped
      let last = pool.stats().hashes;
      let lastChange = tApplied;
      const end = performance.now() + 600;
      while (performance.now() < end) {
        await sleep(1);
        const h = pool.stats().hashes;
        if (h !== last) {
          last = h;
          lastChange = performance.now();
        }
      }
      applied.push(tApplied - t0);
      stopped.push(Math.max(tApplied, lastChange) - t0);
    }
  } finally {
    await rt.stop();
    await pool.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], worst: s[s.length - 1] };
  };
  const a = stat(applied);
  const s = stat(stopped);
  console.log(`preemption over ${RUNS} runs, ${THREADS} hub threads, kernel ${pool.stats().kernel}:`);
  console.log(`  appliance busy -> plan applied (setThreads(0)):   median ${a.median.toFixed(1)} ms, worst ${a.worst.toFixed(1)} ms`);
  console.log(`  appliance busy -> hub threads stopped hashing:    median ${s.median.toFixed(1)} ms, worst ${s.worst.toFixed(1)} ms  (goal: 250 ms)`);
  if (!process.argv.includes('--no-workers')) await benchWorkers(Math.min(RUNS, 10));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

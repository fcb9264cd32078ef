// Footprint of the default start: the RSS of the whole process tree of `micro-mining start`
// (compiled dist/, embedded Node-RED, embedded MQTT broker, status page, one hub thread mining
// practice jobs) after it has run for a while, and the size of the add-on image, each printed
// against its goal. A benchmark, not a test: it prints figures and fails only when the program
// does not start.
//
//   npm run bench:footprint                    60 s, then the figures
//   npm run bench:footprint -- --seconds 20    a shorter run
//   MM_FOOTPRINT_IMAGE=localhost/…             the image to size (default: the one test/image builds)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const GOAL_RSS_MB = 150;
const GOAL_IMAGE_MB = 350;
const MB = 1024 * 1024;
const root = new URL('..', import.meta.url).pathname;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: process.env.MM_FOOTPRINT_SECONDS ?? '60' } } });
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds < 5 || seconds > 3600) {
  console.error('bench:footprint: --seconds must be 5..3600');
  process.exit(2);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** RSS of a process and its descendants (Linux /proc). */
function treeRss(pid: number): { total: number; procs: { pid: number; name: string; rss: number }[] } {
  const kids = new Map<number, number[]>();
  const info = new Map<number, { name: string; rss: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(s)?.[1]);
      info.set(Number(d), { name: /^Name:\s+(.*)$/m.exec(s)?.[1] ?? '?', rss: Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1] ?? 0) * 1024 });
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(d)]);
    } catch {
      // exited meanwhile
    }
  }
  const procs: { pid: number; name: string; rss: number }[] = [];
  const stack = [pid];
  while (stack.length && procs.length < 1000) {
    const p = stack.pop()!;
    const i = info.get(p);
    if (i) procs.push({ pid: p, ...i });
    stack.push(...(kids.get(p) ?? []));
  }
  return { total: procs.reduce((a, p) => a + p.rss, 0), procs };
}

function verdict(value: number, goal: number): string {
  return value <= goal ? `within the goal of ${goal} MB` : `OVER the goal of ${goal} MB by ${(value - goal).toFixed(0)} MB`;
}

const dataDir = mkdtempSync(join(tmpdir(), 'mm-footprint-'));
const [stratumPort, statusPort, nodeRedPort] = [await freePort(), await freePort(), await freePort()];
const args = [
  'bin/micro-mining.js',
  'start',
  '--data-dir',
  dataDir,
  '--threads',
  '1',
  '--policy',
  'always',
  '--hub-max-load',
  '100',
  '--stratum-port',
  String(stratumPort),
  '--status-port',
  String(statusPort),
  '--node-red-port',
  String(nodeRedPort),
];
console.log(`bench:footprint: node ${args.join(' ')}  (${seconds} s)`);
const child = spawn(process.execPath, args, {
  cwd: root,
  env: { ...process.env, MM_LOG_LEVEL: 'warn', MM_TEST: undefined },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

let status: { shares?: { accepted: number }; threads?: number; hashrate?: number } = {};
const t0 = Date.now();
let peak = 0;
try {
  // wait for the status page, then sample every second for the rest of the run
  while (Date.now() - t0 < seconds * 1000) {
    if (child.exitCode !== null) throw new Error(`micro-mining start exited (${child.exitCode}):\n${stderr}`);
    try {
      status = (await (await fetch(`http://127.0.0.1:${statusPort}/api/status`, { signal: AbortSignal.timeout(2000) })).json()) as typeof status;
    } catch {
      // not up yet
    }
    peak = Math.max(peak, treeRss(child.pid!).total);
    await new Promise((r) => setTimeout(r, 1000));
  }
  const rss = treeRss(child.pid!);
  const rssMB = rss.total / MB;
  if (!status.shares) throw new Error(`the status page never answered:\n${stderr}`);
  console.log(`processes: ${rss.procs.map((p) => `${p.name}[${p.pid}] ${(p.rss / MB).toFixed(1)} MB`).join(', ')}`);
  console.log(`hub: ${status.threads} thread(s), ${((status.hashrate ?? 0) / 1e6).toFixed(2)} MH/s, ${status.shares.accepted} practice shares`);
  console.log(`RSS after ${seconds} s: ${rssMB.toFixed(1)} MB (peak ${(peak / MB).toFixed(1)} MB) — ${verdict(rssMB, GOAL_RSS_MB)}`);
} finally {
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  if (code === 'timeout') child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}

const image = process.env.MM_FOOTPRINT_IMAGE ?? 'localhost/micro-mining-addon:test';
const inspect = spawnSync('podman', ['image', 'inspect', '--format', '{{.Size}}', image], { encoding: 'utf8' });
if (inspect.status === 0) {
  const sizeMB = Number(inspect.stdout.trim()) / MB;
  console.log(`image ${image}: ${sizeMB.toFixed(0)} MB — ${verdict(sizeMB, GOAL_IMAGE_MB)}`);
} else {
  console.log(`image ${image}: not built here (npm run test:image builds it with podman)`);
}

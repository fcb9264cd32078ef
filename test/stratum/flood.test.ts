// Silent sockets cannot lock household miners out (issue 10, item 3): 1,100 silent sockets from
// 127.0.0.1, each re-opened as it closes, while a good miner from 127.0.0.2 (another loopback
// address) connects again and again and must get work within 2 s every time. The endpoint and the
// flood run in processes of their own; the endpoint's log lines and memory are measured.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { LinePeer } from './helpers.js';

const FLOOD_SOCKETS = 1100; // above the default cap of 1,024 miners
const FLOOD_MS = 15_000;
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Mem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  connections: number;
  pending: number | null;
  addresses: number | null;
}

function child(file: string, args: string[], gc = false): { proc: ChildProcess; out: string[] } {
  const proc = fork(fileURLToPath(new URL(file, import.meta.url)), args, {
    execArgv: ['--import', 'tsx', ...(gc ? ['--expose-gc'] : [])],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(proc);
  const out: string[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return { proc, out };
}

function next<T>(proc: ChildProcess, key: string, ms = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${key} from the child within ${ms} ms`)), ms);
    const on = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      clearTimeout(t);
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
  });
}

async function mem(proc: ChildProcess): Promise<Mem> {
  const p = next<{ mem: Mem }>(proc, 'mem');
  proc.send({ cmd: 'mem' });
  return (await p).mem;
}

/** Connects from 127.0.0.2, subscribes and authorizes; ms until the first notify. */
async function goodMiner(port: number): Promise<number> {
  const t0 = performance.now();
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => resolve(s));
    s.once('error', reject);
  });
  const p = LinePeer.wrap(socket);
  try {
    p.send({ id: 1, method: 'mining.subscribe', params: ['good-miner/1.0'] });
    p.send({ id: 2, method: 'mining.authorize', params: ['good.miner', 'x'] });
    await Promise.race([p.method('mining.notify', 10_000), p.closedP.then(() => Promise.reject(new Error(`closed by the endpoint: ${p.raw.join(' | ')}`)))]);
    return performance.now() - t0;
  } finally {
    await p.close();
  }
}

test('a flood of 1,100 silent sockets from one address: a miner from another address gets work within 2 s throughout; bounded logs; memory back after', async () => {
  // 127.0.0.2 is loopback too (127.0.0.0/8): the test needs to bind it
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.2', () => s.close(() => resolve()));
    s.once('error', (err) => reject(new Error(`cannot bind 127.0.0.2 (loopback range): ${err.message}`)));
  });
  const server = child('./flood-server.ts', [], true);
  const first = await next<{ port: number; mem: Mem }>(server.proc, 'port');
  const port = first.port;
  // warm up (first connections compile code paths), then the baseline
  for (let i = 0; i < 3; i++) await goodMiner(port);
  const base = await mem(server.proc);
  const linesBefore = server.out.length;

  const flood = child('./flood-client.ts', [String(port), String(FLOOD_SOCKETS), String(FLOOD_MS), '127.0.0.1']);
  const floodDone = next<{ opened: number; refused: number }>(flood.proc, 'opened', FLOOD_MS + 30_000);
  const latencies: number[] = [];
  const failures: string[] = [];
  const t0 = performance.now();
  let during: Mem | null = null;
  // the good miner comes back every 250 ms while the flood lasts
  while (performance.now() - t0 < FLOOD_MS - 1000) {
    try {
      latencies.push(await goodMiner(port));
    } catch (err) {
      failures.push((err as Error).message);
    }
    if (!during && performance.now() - t0 > FLOOD_MS / 2) during = await mem(server.proc);
    await new Promise((r) => setTimeout(r, 250));
  }
  const floodStats = await floodDone;
  const logLines = server.out.slice(linesBefore);
  // the flood is over: every socket of it closes, and memory comes back
  const t1 = performance.now();
  let afterMem = await mem(server.proc);
  while ((afterMem.connections > 0 || afterMem.pending !== 0) && performance.now() - t1 < 20_000) {
    await new Promise((r) => setTimeout(r, 200));
    afterMem = await mem(server.proc);
  }
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `# flood: ${floodStats.opened.toLocaleString('en-US')} silent sockets opened from 127.0.0.1 in ${FLOOD_MS / 1000} s (${FLOOD_SOCKETS} at a time)`,
  );
  console.log(
    `# good miner from 127.0.0.2: ${latencies.length} connections, work after median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms; failures ${failures.length}`,
  );
  console.log(`# endpoint log lines during the flood: ${logLines.length}`);
  for (const l of logLines.slice(0, 12)) console.log(`#   ${(JSON.parse(l) as { msg: string }).msg}`);
  console.log(
    `# endpoint heap committed ${mb(base.heapTotal)} / ${during ? mb(during.heapTotal) : '?'} / ${mb(afterMem.heapTotal)} MiB; external ${mb(base.external)} / ${during ? mb(during.external) : '?'} / ${mb(afterMem.external)} MiB`,
  );
  console.log(
    `# endpoint memory: heap ${mb(base.heapUsed)} MiB before, ${during ? mb(during.heapUsed) : '?'} during, ${mb(afterMem.heapUsed)} after; rss ${mb(base.rss)} / ${during ? mb(during.rss) : '?'} / ${mb(afterMem.rss)} MiB; connections during ${during?.connections}, after ${afterMem.connections}`,
  );

  const stopped = new Promise((r) => server.proc.once('exit', r));
  server.proc.send({ cmd: 'stop' });
  await stopped;

  assert.deepEqual(failures, [], 'the good miner was never refused');
  assert.ok(latencies.length >= 10, `the good miner came ${latencies.length} times`);
  for (const ms of latencies) assert.ok(ms < 2000, `work within 2 s (took ${ms.toFixed(0)} ms)`);
  assert.ok(floodStats.opened >= FLOOD_SOCKETS, 'the flood ran');
  assert.ok(logLines.length <= 20, `log lines during the flood are rate-limited (${logLines.length})`);
  assert.equal(afterMem.connections, 0, 'every flood socket is gone');
  assert.ok(afterMem.heapUsed < base.heapUsed + 8 * 2 ** 20, `heap back near its level (${mb(base.heapUsed)} -> ${mb(afterMem.heapUsed)} MiB)`);
});

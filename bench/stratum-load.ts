// Load run: >= 1,000 concurrent household-miner connections on loopback against the hub endpoint
// (practice jobs), each subscribed, authorized and served a job; prints memory per connection of
// the endpoint process, and the time to fan a new job out to all of them.
//   node --import tsx bench/stratum-load.ts [connections=1000]
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

process.env.MM_LOG_LEVEL ??= 'warn';
const role = process.argv[2];

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
}

if (role === '--server') {
  // the endpoint process
  const { StratumServer } = await import('../src/stratum/index.js');
  const { JobManager, PracticeSource } = await import('../src/work/index.js');
  const practice = new PracticeSource({ jobIntervalS: 3600 });
  const manager = new JobManager({ source: practice });
  await manager.start();
  // every load connection comes from 127.0.0.1 and opens at once: lift the per-address limits
  // (8 connections that have not subscribed yet, 64 miners), meant for floods from one peer
  const server = new StratumServer({
    backend: manager,
    port: 0,
    maxConnections: 5000,
    maxPending: 5000,
    maxPendingPerAddress: 5000,
    maxMinersPerAddress: 5000,
  });
  await server.start();
  const mem = (): Mem => {
    global.gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers, connections: server.connections };
  };
  process.on('message', async (msg: { cmd: string }) => {
    if (msg.cmd === 'mem') process.send!({ mem: mem() });
    if (msg.cmd === 'job') {
      practice.next(true);
      process.send!({ job: manager.currentJob()!.jobId });
    }
    if (msg.cmd === 'stop') {
      await server.stop();
      await manager.stop();
      process.disconnect?.();
    }
  });
  process.send!({ port: server.address().port, mem: mem() });
} else {
  const n = Number(role ?? 1000);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: 'inherit' });
  const ask = <T>(cmd: string, key: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', on);
          resolve(m[key] as T);
        }
      };
      child.on('message', on);
      if (cmd) child.send({ cmd });
    });
  const first = await new Promise<{ port: number; mem: Mem }>((r) => child.once('message', (m) => r(m as { port: number; mem: Mem })));
  const base = first.mem;
  const sockets: net.Socket[] = [];
  const jobsSeen = new Map<net.Socket, string>();
  let ready = 0;
  const t0 = performance.now();
  const opening: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    opening.push(
      new Promise<void>((resolve, reject) => {
        const s = net.connect({ port: first.port, host: '127.0.0.1' }, () => {
          s.write(`{"id":1,"method":"mining.subscribe","params":["load/${i}"]}\n{"id":2,"method":"mining.authorize","params":["load.${i % 30}","x"]}\n`);
        });
        let buf = '';
        let counted = false;
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          buf += d;
          let k: number;
          while ((k = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, k);
            buf = buf.slice(k + 1);
            if (line.includes('"method":"mining.notify"')) {
              jobsSeen.set(s, JSON.parse(line).params[0]);
              if (!counted) {
                counted = true;
                ready++;
                resolve();
              }
            }
          }
        });
        s.on('error', reject);
        sockets.push(s);
      }),
    );
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(opening);
  const setupMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  const loaded = await ask<Mem>('mem', 'mem');
  const t1 = performance.now();
  const jobId = await ask<string>('job', 'job');
  while ([...jobsSeen.values()].filter((j) => j === jobId).length < n) await new Promise((r) => setTimeout(r, 2));
  const fanoutMs = performance.now() - t1;
  const per = (a: number, b: number) => ((a - b) / n / 1024).toFixed(1);
  console.log(
    `stratum-load: ${ready}/${n} miners subscribed, authorized and served a job in ${setupMs.toFixed(0)} ms; endpoint holds ${loaded.connections} connections`,
  );
  console.log(
    `  endpoint memory per connection: rss ${per(loaded.rss, base.rss)} KiB, heap ${per(loaded.heapUsed, base.heapUsed)} KiB, buffers ${per(loaded.external, base.external)} KiB`,
  );
  console.log(`  endpoint total: rss ${(loaded.rss / 2 ** 20).toFixed(1)} MiB (${(base.rss / 2 ** 20).toFixed(1)} MiB before)`);
  console.log(`  a new clean job reached all ${n} miners in ${fanoutMs.toFixed(1)} ms`);
  for (const s of sockets) s.destroy();
  child.send({ cmd: 'stop' });
  await new Promise((r) => child.once('exit', r));
}

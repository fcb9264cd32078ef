// The endpoint in a process of its own for the flood test: practice jobs, JSON log lines on
// stdout (the test counts them), memory and connection counts over IPC.
import { StratumServer, type StratumServerOptions } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import pino from 'pino';

const extra = JSON.parse(process.argv[2] ?? '{}') as Partial<StratumServerOptions>;
const practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
const manager = new JobManager({ source: practice });
await manager.start();
const server = new StratumServer({
  backend: manager,
  port: 0,
  host: '0.0.0.0',
  logger: pino({ level: 'info' }, pino.destination({ fd: 1, sync: true })),
  ...extra,
});
await server.start();

function mem() {
  global.gc?.();
  const m = process.memoryUsage();
  const s = server as unknown as { admission?: { pending: number; miners: number; addresses: number } };
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    connections: server.connections,
    pending: s.admission?.pending ?? null,
    addresses: s.admission?.addresses ?? null,
  };
}

process.on('message', async (msg: { cmd: string }) => {
  if (msg.cmd === 'mem') process.send!({ mem: mem() });
  if (msg.cmd === 'stop') {
    await server.stop();
    await manager.stop();
    process.disconnect?.();
  }
});
process.send!({ port: server.address().port, mem: mem() });

// A flood of silent sockets from one address: N sockets, each opened again as soon as it closes,
// for a bounded time. Reports how many it opened.
import net from 'node:net';

const [port, n, ms, localAddress] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? '127.0.0.1'];
let opened = 0;
let refused = 0;
let open = 0;
let flooding = true;
const sockets = new Set<net.Socket>();

function one(): void {
  if (!flooding) return;
  const s = net.connect({ port, host: '127.0.0.1', localAddress });
  opened++;
  sockets.add(s);
  s.on('connect', () => open++);
  s.on('error', () => refused++);
  s.on('close', () => {
    sockets.delete(s);
    // re-opened as it closes (not in the same tick: a refused socket would spin otherwise)
    setImmediate(one);
  });
}

for (let i = 0; i < n; i++) one();
setTimeout(() => {
  flooding = false;
  for (const s of sockets) s.destroy();
  process.send!({ opened, refused, open });
  process.disconnect?.();
}, ms);

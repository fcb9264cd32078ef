// mm-stats: the miner's statistics (hashrate, threads, miners, the last plan's summary), every few
// seconds and on any input.
import { hubOf } from './hub-config.js';
import { errText, kindOf, short, type Node, type NodeAPI, type NodeDef, type NodeMessage } from './red.js';

function rate(h: number): string {
  const u = ['H/s', 'kH/s', 'MH/s', 'GH/s'];
  let i = 0;
  while (h >= 1000 && i < u.length - 1) {
    h /= 1000;
    i++;
  }
  return `${Number(h.toFixed(1))} ${u[i]}`;
}

export function registerStats(RED: NodeAPI): void {
  RED.nodes.registerType('mm-stats', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const seconds = Number(config.interval ?? 10);
    const intervalMs = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 86400) * 1000 : 10_000;
    const hub = hubOf(RED, config.hub);
    let timer: NodeJS.Timeout | null = null;
    let closed = false;

    const emit = (base?: NodeMessage, done?: (err?: Error) => void) => {
      if (!('api' in hub)) return done?.(new Error(`mm-stats: ${hub.problem}`));
      hub.api.stats().then(
        (s) => {
          if (closed) return done?.();
          this.status({ fill: s.hubThreads > 0 ? 'green' : 'grey', shape: 'dot', text: `${rate(s.hashrate)}, ${s.hubThreads} threads` });
          this.send({ ...(base ?? {}), topic: 'stats', payload: s });
          done?.();
        },
        (err) => {
          this.status({ fill: 'red', shape: 'ring', text: short(errText(err)) });
          done?.(new Error(`mm-stats: ${errText(err)}`));
        },
      );
    };
    if (!('api' in hub)) {
      this.status({ fill: 'red', shape: 'ring', text: short(hub.problem) });
      this.error(`mm-stats: ${hub.problem}`);
    } else if (intervalMs > 0) timer = setInterval(() => emit(), intervalMs);

    this.on('input', (msg, _send, done) => {
      const p = msg.payload;
      const ok = p === undefined || p === null || p === '' || p === true || (typeof p === 'number' && Number.isFinite(p)) || p === 'stats';
      if (!ok) {
        done(new Error(`mm-stats: an input asks for statistics now; msg.payload must be empty, "stats", true or a timestamp, got ${kindOf(p)}`));
        return;
      }
      emit(msg, done);
    });
    this.on('close', (_removed, done) => {
      closed = true;
      if (timer) clearInterval(timer);
      done();
    });
  });
}

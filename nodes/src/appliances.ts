// mm-appliances: emits the hub's state (appliances idle/busy, workers, budget, manual control) at
// start, on every change, and every few seconds.
import type { HubChange, HubSnapshot } from '../../src/flow/hub-api.js';
import { hubOf } from './hub-config.js';
import { errText, kindOf, short, type Node, type NodeAPI, type NodeDef, type NodeMessage } from './red.js';

export function registerAppliances(RED: NodeAPI): void {
  RED.nodes.registerType('mm-appliances', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const seconds = Number(config.interval ?? 10);
    const intervalMs = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 86400) * 1000 : 10_000;
    const hub = hubOf(RED, config.hub);
    let closed = false;
    let unsubscribe: (() => void) | null = null;
    const timers: NodeJS.Timeout[] = [];

    const emit = (snapshot: HubSnapshot, change: HubChange | { type: 'tick' | 'start' | 'refresh'; at: number }, base?: NodeMessage) => {
      if (closed) return;
      const idle = snapshot.appliances.filter((a) => a.status === 'idle').length;
      this.status({
        fill: 'green',
        shape: 'dot',
        text: short(`${idle} of ${snapshot.appliances.length} idle${'id' in change ? `; ${change.id} ${change.status}` : ''}`),
      });
      this.send({ ...(base ?? {}), topic: 'appliances', payload: snapshot, change, appliances: snapshot.appliances, ignored: snapshot.ignoredAppliances ?? 0 });
    };
    const refresh = (kind: 'tick' | 'start' | 'refresh', base?: NodeMessage) => {
      if (!('api' in hub)) return;
      hub.api.snapshot().then(
        (s) => emit(s, { type: kind, at: Date.now() }, base),
        (err) => {
          this.status({ fill: 'red', shape: 'ring', text: short(errText(err)) });
          if (kind !== 'tick') this.error(`mm-appliances: ${errText(err)}`, base);
        },
      );
    };

    if (!('api' in hub)) {
      this.status({ fill: 'red', shape: 'ring', text: short(hub.problem) });
      this.error(`mm-appliances: ${hub.problem}`);
    } else {
      unsubscribe = hub.api.subscribe((s, c) => emit(s, c));
      // after the flow is wired
      timers.push(setTimeout(() => refresh('start'), 100));
      if (intervalMs > 0) timers.push(setInterval(() => refresh('tick'), intervalMs));
    }

    this.on('input', (msg, _send, done) => {
      const p = msg.payload;
      const ok = p === undefined || p === null || p === '' || p === 'refresh' || p === true || (typeof p === 'number' && Number.isFinite(p));
      if (!ok) {
        done(
          new Error(
            `mm-appliances: an input asks for a refresh; msg.payload must be empty, "refresh", true or a timestamp, got ${kindOf(p)} ${short(JSON.stringify(p) ?? '', 40)}`,
          ),
        );
        return;
      }
      if (!('api' in hub)) {
        done(new Error(`mm-appliances: ${hub.problem}`));
        return;
      }
      refresh('refresh', msg);
      done();
    });
    this.on('close', (_removed, done) => {
      closed = true;
      unsubscribe?.();
      for (const t of timers) clearTimeout(t);
      done();
    });
  });
}

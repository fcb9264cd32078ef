// mm-control: switch mining off and on by hand, or cap the hub threads. The hub tells the flow,
// which plans again.
import type { ControlCommand } from '../../src/flow/hub-api.js';
import { hubOf } from './hub-config.js';
import { errText, kindOf, short, type Node, type NodeAPI, type NodeDef } from './red.js';

/** msg.payload -> a command: "start"/"stop", true/false, {threads: n|null}, or a number of threads. */
export function parseControl(p: unknown): ControlCommand | string {
  if (p === 'start' || p === 'on' || p === true) return { action: 'start' };
  if (p === 'stop' || p === 'off' || p === false) return { action: 'stop' };
  const t = typeof p === 'number' ? p : p && typeof p === 'object' && !Array.isArray(p) && 'threads' in p ? (p as { threads: unknown }).threads : undefined;
  if (t === null) return { action: 'threads', threads: null };
  if (typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= 1024) return { action: 'threads', threads: t };
  if (t !== undefined) return `threads must be an integer 0..1024 or null (no cap), got ${JSON.stringify(t)}`;
  return `msg.payload must be "start", "stop", true/false, a number of threads or {"threads": n|null}, got ${kindOf(p)} ${short(JSON.stringify(p) ?? '', 40)}`;
}

export function registerControl(RED: NodeAPI): void {
  RED.nodes.registerType('mm-control', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const hub = hubOf(RED, config.hub);
    if (!('api' in hub)) {
      this.status({ fill: 'red', shape: 'ring', text: short(hub.problem) });
      this.error(`mm-control: ${hub.problem}`);
    }
    this.on('input', (msg, send, done) => {
      if (!('api' in hub)) return done(new Error(`mm-control: ${hub.problem}`));
      const cmd = parseControl(msg.payload);
      if (typeof cmd === 'string') return done(new Error(`mm-control: ${cmd}`));
      hub.api.control(cmd).then(
        (applied) => {
          // the state as the hub applied it (a cap beyond the hub's threads is clamped)
          const cap = applied.maxThreads ?? (cmd.action === 'threads' ? cmd.threads : null);
          const text =
            cmd.action === 'threads'
              ? cap === null || cap === undefined
                ? 'no thread cap'
                : `max ${cap} threads`
              : cmd.action === 'stop'
                ? 'stopped by hand'
                : 'started';
          this.status({ fill: cmd.action === 'stop' ? 'yellow' : 'green', shape: 'dot', text });
          msg.manual = applied;
          send(msg);
          done();
        },
        (err) => done(new Error(`mm-control: ${errText(err)}`)),
      );
    });
  });
}

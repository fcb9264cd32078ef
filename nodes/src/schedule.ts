// mm-schedule: hub state + policy -> a plan (the pure scheduler of src/schedule). Remembers its
// state (minimum run/pause, fairness) in the node's context. With a power target on the hub
// (power_target), the hub state carries its allocation (manual.power): the plan keeps within it,
// and msg.power carries it on (the target in words, hub threads, workers kept off, each step).
import { defaultPolicy, parsePolicy, parseScheduleInput, parseScheduleState, schedule, type ScheduleState } from '../../src/schedule/index.js';
import { kindOf, short, type Node, type NodeAPI, type NodeDef } from './red.js';

export function registerSchedule(RED: NodeAPI): void {
  RED.nodes.registerType('mm-schedule', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const onlyChanges = config.onlyChanges === true || config.onlyChanges === 'true';
    let lastKey = '';
    this.status({ fill: 'grey', shape: 'ring', text: 'waiting for the hub state' });

    this.on('input', (msg, send, done) => {
      const p = msg.payload;
      if (p === null || typeof p !== 'object' || Array.isArray(p)) {
        done(new Error(`mm-schedule: msg.payload must be the hub state from an mm-appliances node, got ${kindOf(p)}`));
        return;
      }
      const policy = msg.policy === undefined ? { ok: true as const, value: defaultPolicy() } : parsePolicy(msg.policy);
      if (!policy.ok) {
        done(new Error(`mm-schedule: msg.policy: ${policy.error}`));
        return;
      }
      const now = typeof msg.now === 'number' && Number.isFinite(msg.now) ? msg.now : Date.now();
      const input = parseScheduleInput({ ...(p as object), now, utcOffsetMinutes: -new Date(now).getTimezoneOffset() });
      if (!input.ok) {
        this.status({ fill: 'red', shape: 'ring', text: 'bad input' });
        done(new Error(`mm-schedule: ${input.error}`));
        return;
      }
      const saved = parseScheduleState(this.context().get('state'));
      const prev: ScheduleState | null = saved.ok ? saved.value : null;
      const { plan, state } = schedule(input.value, policy.value, prev);
      this.context().set('state', state);
      const working = plan.hubThreads > 0 || plan.workers.some((w) => w.action === 'work');
      const power = input.value.manual?.power ?? null;
      this.status({
        fill: working ? 'green' : 'yellow',
        shape: working ? 'dot' : 'ring',
        text: short(power ? `${plan.summary} · target ${power.target}` : plan.summary),
      });
      const key = JSON.stringify(plan.workers.map((w) => [w.id, w.action, w.threads]));
      if (onlyChanges && key === lastKey) {
        done();
        return;
      }
      lastKey = key;
      msg.payload = plan;
      msg.topic = 'plan';
      if (power) msg.power = power;
      else delete msg.power;
      send(msg);
      done();
    });
  });
}

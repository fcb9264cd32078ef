// mm-dispatch: applies a plan to the hub pool and the local miners. When the node stops (flow
// disabled, node deleted, Node-RED stopping) it pauses all work: without a flow nothing is scheduled.
import { pauseAllPlan, parsePlan, type Plan } from '../../src/schedule/index.js';
import { hubOf } from './hub-config.js';
import { errText, kindOf, short, type Node, type NodeAPI, type NodeDef } from './red.js';

export function registerDispatch(RED: NodeAPI): void {
  RED.nodes.registerType('mm-dispatch', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const hub = hubOf(RED, config.hub);
    const known = new Set<string>(['hub']);
    // a second look after the workers had time to obey: "… · 3/3 obeyed"
    let recheck: NodeJS.Timeout | null = null;
    if (!('api' in hub)) {
      this.status({ fill: 'red', shape: 'ring', text: short(hub.problem) });
      this.error(`mm-dispatch: ${hub.problem}`);
    } else this.status({ fill: 'grey', shape: 'ring', text: 'no plan yet' });

    this.on('input', (msg, send, done) => {
      if (!('api' in hub)) {
        done(new Error(`mm-dispatch: ${hub.problem}`));
        return;
      }
      const r = parsePlan(msg.payload);
      if (!r.ok) {
        done(new Error(`mm-dispatch: msg.payload must be a plan from an mm-schedule node (got ${kindOf(msg.payload)}): ${r.error}`));
        return;
      }
      const plan: Plan = r.value;
      for (const w of plan.workers) known.add(w.id);
      hub.api.applyPlan(plan).then(
        () => {
          const working = plan.hubThreads > 0 || plan.workers.some((w) => w.action === 'work');
          this.status({ fill: working ? 'green' : 'yellow', shape: working ? 'dot' : 'ring', text: short(plan.summary) });
          if (recheck) clearTimeout(recheck);
          recheck = setTimeout(() => {
            recheck = null;
            hub.api.stats().then(
              (s) => {
                if (s.obeyed && s.obeyed.total > 0)
                  this.status({
                    fill: working ? 'green' : 'yellow',
                    shape: working ? 'dot' : 'ring',
                    text: short(`${s.obeyed.obeyed}/${s.obeyed.total} obeyed · ${plan.summary}`),
                  });
              },
              () => {},
            );
          }, 1500);
          send(msg);
          done();
        },
        (err) => {
          this.status({ fill: 'red', shape: 'ring', text: short(errText(err)) });
          done(new Error(`mm-dispatch: could not apply the plan: ${errText(err)}`));
        },
      );
    });
    this.on('close', (removed, done) => {
      if (recheck) clearTimeout(recheck);
      if (!('api' in hub)) return done();
      const reason = removed ? 'the dispatch node was removed or its flow disabled' : 'the flow is being redeployed or stopped';
      hub.api.applyPlan(pauseAllPlan(Date.now(), [...known], reason)).then(
        () => done(),
        () => done(),
      );
    });
  });
}

/**
 * Scheduling part: the planner (InProcessHub: appliances, budget, manual state; applies plans to
 * the hash pool and the workers), Home Assistant's appliances feeding it (or, without HA, the hub
 * itself as the one appliance), and the flow that plans: the embedded Node-RED with the default
 * flow, or (--no-node-red) the default flow's schedule applied directly every tick.
 *
 * emits: appliance, appliances (from HA), plan (every applied plan)
 * consumes: tick (the hub's CPU load), snapshot (direct planning), command (manual control),
 *           workerState (miners changed; link workers to HA devices)
 * offers: handles `ha`, `flow`, `price`
 */
import { FlowRuntime, editorAccessOptions } from '../../../flow/index.js';
import { hubLoadMeter } from '../../../hashpool/index.js';
import { HaAppliances, type Appliance, type ApplianceEvent, type IdleRulesInput } from '../../../ha/index.js';
import type { MinerCommand } from '../../../mqtt/index.js';
import { defaultPolicy, parsePolicy, schedule, type ApplianceInput, type Plan, type Policy, type ScheduleState } from '../../../schedule/index.js';
import type { Config } from '../../config.js';
import { Part } from '../context.js';
import { portInUse } from '../ports.js';

/** Home Assistant's connection in /api/status (`ha`): a refused token says so and how to fix it. */
export interface HaSection {
  connected: boolean;
  /** the connection's state: connecting, starting, ready, disconnected, auth_failed, … */
  state: string;
  /** why it is not connected (null: connected) */
  error: string | null;
}

declare module '../sections.js' {
  interface HubSections {
    ha: HaSection;
  }
}

export class SchedulingPart extends Part {
  readonly name = 'scheduling';
  private ha: HaAppliances | null = null;
  private flow: FlowRuntime | null = null;
  private loadMeter: (() => number) | null = null;
  private directPolicy: Policy | null = null;
  private scheduleState: ScheduleState | null = null;

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    const planner = ctx.planner;
    const onPlan = (p: Plan) => void ctx.bus.emit('plan', p);
    planner.on('plan', onPlan);
    this.stops.add('planner listeners', () => void planner.off('plan', onPlan));
    await planner.control({ action: 'threads', threads: c.threads });
    await planner.control({ action: 'policy', mode: c.policy });
    planner.setBudget({ staticW: c.power.budgetW });
    this.loadMeter = hubLoadMeter();

    this.on('workerState', (e) => {
      if (e.change === 'links') this.linkWorkers();
      else planner.minersChanged();
    });
    this.on('tick', () => this.hubLoad());
    this.on('snapshot', () => (this.directPolicy ? this.planDirectly().catch((err) => ctx.log.error({ err }, 'planning failed')) : undefined));
    this.on('command', (cmd) => this.command(cmd));

    if (c.ha) {
      const ha = new HaAppliances({ url: c.ha.url, token: c.ha.token, rules: idleRules(c), log: ctx.logger('ha') });
      this.ha = ha;
      ctx.provide('ha', ha);
      this.stops.add(
        'ha section',
        ctx.sections.report('ha', () => {
          const st = ha.status();
          return { connected: st.connection === 'ready', state: st.connection, error: st.connection === 'ready' ? null : (st.lastError ?? null) };
        }),
      );
      ha.on('event', (e: ApplianceEvent) => {
        this.onApplianceEvent(e);
        void ctx.bus.emit('appliance', e);
      });
      ha.on('appliances', (list: Appliance[]) => {
        planner.setIgnoredCount(ha.ignored().length);
        planner.setAppliances(list.map((a) => this.planInput(a)));
        void ctx.bus.emit('appliances', list);
      });
      await ha.start();
      this.stops.add('home assistant', () => ha.stop());
    } else {
      // without Home Assistant the hub itself is the one appliance: idle while the rest of the
      // machine leaves the CPU alone
      planner.setAppliances([this.hubAppliance()]);
    }

    if (c.nodeRed.enabled) {
      const flow = new FlowRuntime({
        hub: planner,
        dataDir: c.dataDir,
        port: c.nodeRed.port,
        // standalone the editor always asks for a login (the user's, or one made on the first start)
        ...editorAccessOptions({ addon: c.addon, dataDir: c.dataDir, username: c.nodeRed.username, password: c.nodeRed.password, hosts: c.nodeRed.hosts }),
        logger: ctx.logger('node-red'),
      });
      this.flow = flow;
      await flow.start().catch((err) => {
        throw portInUse(err, 'node_red_port', 'Node-RED editor', c.nodeRed.port, 'another Node-RED?', ', or run without the editor with --no-node-red');
      });
      ctx.provide('flow', flow);
      this.stops.add('node-red', () => flow.stop());
    } else {
      const p = parsePolicy({
        ...defaultPolicy(),
        mode: c.policy,
        stagesW: c.power.stagesW,
        staticBudgetW: c.power.budgetW,
        priceCeiling: c.power.priceCeiling,
        quietHours: c.quietHours.map((q) => ({ start: hhmm(q.start), end: hhmm(q.end) })),
      });
      if (!p.ok) throw new Error(`policy: ${p.error}`);
      this.directPolicy = p.value;
      const unsubscribe = planner.subscribe(() => void this.planDirectly());
      this.stops.add('scheduler', () => unsubscribe());
      await this.planDirectly();
    }
  }

  /** A command from an HA entity: the planner's manual state, then a new plan without the flow. */
  private async command(cmd: MinerCommand): Promise<void> {
    const planner = this.ctx.planner;
    if (cmd.kind === 'mining') await planner.control({ action: cmd.on ? 'start' : 'stop' });
    else if (cmd.kind === 'threads') await planner.control({ action: 'threads', threads: cmd.threads });
    else if (cmd.kind === 'policy') await planner.control({ action: 'policy', mode: cmd.policy });
    else if (cmd.kind === 'worker_mining') await planner.control({ action: 'worker', id: cmd.worker, on: cmd.on });
    if (!this.flow) await this.planDirectly();
  }

  /** Without Node-RED: the default flow's schedule, applied directly. */
  private async planDirectly(): Promise<void> {
    if (!this.directPolicy || this.ctx.stopping()) return;
    const planner = this.ctx.planner;
    const snap = await planner.snapshot();
    const { plan, state } = schedule({ now: Date.now(), utcOffsetMinutes: -new Date().getTimezoneOffset(), ...snap }, this.directPolicy, this.scheduleState);
    this.scheduleState = state;
    await planner.applyPlan(plan);
  }

  /** The hub's CPU load, each tick: to HA's hub appliance, or to the hub appliance without HA. */
  private hubLoad(): void {
    if (!this.loadMeter || this.ctx.stopping()) return;
    if (this.ha) this.ha.hubLoad(this.loadMeter());
    else this.ctx.planner.updateAppliance(this.hubAppliance());
  }

  /** An appliance as the planner sees it (a miner's own plug is not busy because the miner runs: obedience.ts). */
  private planInput(a: Appliance): ApplianceInput {
    return this.ctx.obedience.planInput(a, toInput(a));
  }

  /** Links the workers on the endpoint to HA devices by the MAC, host name and IP they told. */
  private linkWorkers(): void {
    if (!this.ha || this.ctx.stopping()) return;
    this.ha.setWorkers(this.ctx.obedience.mappings());
    this.ctx.planner.setAppliances(this.ha.appliances().map((a) => this.planInput(a)));
  }

  private onApplianceEvent(e: ApplianceEvent): void {
    const planner = this.ctx.planner;
    if (e.type === 'gone') planner.removeAppliance(e.applianceId);
    else if (e.type === 'budget') {
      this.ctx.provide('price', { value: e.budget.price, unit: e.budget.priceUnit });
      planner.setBudget({ surplusW: e.budget.surplusW, staticW: e.budget.staticW ?? this.ctx.config.power.budgetW, price: e.budget.price });
    } else {
      const a = this.ha?.appliances().find((x) => x.id === e.applianceId);
      if (a) planner.updateAppliance(this.planInput(a));
    }
  }

  private hubAppliance(): ApplianceInput {
    const load = this.loadMeter?.() ?? 0;
    const limit = this.ctx.config.idle.hubMaxLoadPercent;
    const busy = load > limit;
    const reason = `the rest of the machine uses ${Math.round(load)}% CPU, ${busy ? 'above' : 'within'} the ${limit}% limit`;
    return { id: 'hub', name: 'hub', status: busy ? 'busy' : 'idle', roles: ['worker'], workerId: 'hub', area: null, reason, why: 'the hub' };
  }
}

function idleRules(c: Config): IdleRulesInput {
  // a mapping of the worker "hub" links the hub itself to an HA device (e.g. the PC it runs on)
  const hubDevice = c.idle.workers.find((w) => w.workerId === 'hub' && w.deviceId)?.deviceId;
  return {
    holdSeconds: c.idle.holdSeconds,
    powerThresholdW: c.idle.powerThresholdW,
    includeLights: c.idle.includeLights,
    overrides: c.idle.overrides.map((o) => ({ ...o, match: { ...o.match } })),
    workers: c.idle.workers.filter((w) => w.workerId !== 'hub').map((w) => ({ ...w })),
    hub: { maxLoadPercent: c.idle.hubMaxLoadPercent, ...(hubDevice ? { deviceId: hubDevice } : {}) },
    budget: {
      ...(c.power.sensor ? { surplusEntity: c.power.sensor, surplusInverted: c.power.sensorInverted } : {}),
      ...(c.power.budgetW !== null ? { staticWatts: c.power.budgetW } : {}),
      ...(c.power.priceSensor ? { priceEntity: c.power.priceSensor } : {}),
    },
  };
}

function toInput(a: Appliance): ApplianceInput {
  return {
    id: a.id,
    name: a.name,
    status: a.status === 'idle' ? 'idle' : a.status === 'busy' ? 'busy' : 'unknown',
    roles: a.roles,
    workerId: a.workerId,
    watts: a.watts,
    area: a.area,
    reason: a.reason,
    ...(a.why ? { why: a.why } : {}),
  };
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

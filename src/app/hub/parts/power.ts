/**
 * Power target part (issue 21): the whole home's mining meets one watt figure, from below, most
 * hashes per joule first, in each worker's own steps (src/schedule/power.ts).
 *
 *   target: the HA number "Power target" (power_target: number; kept in power-target.json),
 *           a W/kW sensor (power_target_sensor, e.g. EMHASS sensor.p_deferrable0), or the surplus
 *           sensor (power_target: surplus; the miners' own draw given back)
 *   -> parseTargetState / surplusTarget -> followTarget -> allocatePower (every 10 s and on a
 *      target change, at most every 2 s; its state in power-state.json so minimum times survive
 *      a restart) -> the planner's power cap (ManualInput.power: the plan caps hub threads and
 *      pauses workers, its reasons saying which step and why), AxeOS budgets where that part runs
 *   -> `/api/status` `power` and HA sensors, every watt figure saying where it comes from.
 *
 * emits: powerPlan   consumes: command ({kind:'extra', key:'power_target'})   offers: nothing
 */
import { join } from 'node:path';
import type { ExtraEntity } from '../../../mqtt/index.js';
import { PowercapMeter } from '../../../power/index.js';
import {
  ABSURD_W,
  DEFAULT_POWER_OPTIONS,
  HUB_ID,
  allocatePower,
  bestFigure,
  fleetMaxW,
  followTarget,
  parsePowerState,
  parseTargetState,
  powerCap,
  powerStatus,
  surplusTarget,
  type AxeosReading,
  type PowerPlan,
  type PowerState,
  type PowerStatus,
  type TargetStatus,
  type TargetTrack,
  type TargetValue,
} from '../../../schedule/index.js';
import { Part } from '../context.js';
import { fleetOf, readingsOf, type MinerFacts } from './power-fleet.js';
import { EntityFollower, readJson, writeJsonAtomic, type HaConnectionLike } from './power-source.js';

export type PowerMode = 'number' | 'sensor' | 'surplus';

/** `/api/status` `power`: what met the target, every figure saying where it comes from. */
export interface PowerSection extends PowerStatus {
  /** where the target comes from: the HA number, a sensor, the surplus sensor */
  mode: PowerMode;
  /** the target's state: ok, held (a short gap), unavailable, bad_unit, absurd, negative, capped, missing, ... */
  status: TargetStatus;
  /** the fleet's most watts now (the number entity's maximum) */
  fleet_max_w: number;
  /** what the hub's own figure is: RAPL measured (whole CPU) or estimated, and why */
  hub_note: string;
}

declare module '../sections.js' {
  interface HubSections {
    power: PowerSection;
  }
}
declare module '../bus.js' {
  interface HubEvents {
    /** the power target's allocation (power part), every 10 s and on a target change */
    powerPlan: PowerPlan;
  }
}

/** What the power part uses of the AxeOS part's handle, when another part offers one. */
interface AxeosLike {
  powerReading?(worker: string): AxeosReading | null;
  setBudget?(worker: string, watts: number | null): void;
}

const EVERY_MS = 10_000;
/** a target that changes every second re-plans at most this often */
const MIN_GAP_MS = 2_000;
/** the most W the number entity takes (1 MW: beyond any home) */
const MAX_SET_W = 1_000_000;
const KEY = 'power_target';

export class PowerPart extends Part {
  readonly name = 'power';
  private mode: PowerMode | null = null;
  private numberW: number | null = null;
  private follower: EntityFollower | null = null;
  private entity: string | null = null;
  private track: TargetTrack | null = null;
  private state: PowerState | null = null;
  private savedLevels = '';
  private target: TargetValue | null = null;
  private status: PowerSection | null = null;
  private fleetMax = 0;
  private readonly meter = new PowercapMeter();
  private running: Promise<void> | null = null;
  private again = false;
  private lastRun = 0;
  private pending: NodeJS.Timeout | null = null;
  private files = { target: '', state: '' };

  async start(): Promise<void> {
    const c = this.ctx.config;
    const mode = c.power.target?.mode ?? 'off';
    if (mode === 'off') return;
    this.mode = mode;
    const log = this.ctx.logger('power');
    this.files = { target: join(c.dataDir, 'power-target.json'), state: join(c.dataDir, 'power-state.json') };
    const saved = await readJson(this.files.target, log);
    const w = (saved as { target_w?: unknown } | undefined)?.target_w;
    if (typeof w === 'number' && Number.isFinite(w) && w >= 0 && w <= MAX_SET_W) this.numberW = w;
    const st = parsePowerState(await readJson(this.files.state, log));
    if (st.ok) {
      this.state = st.value;
      this.savedLevels = levelsOf(st.value);
    }
    if (mode !== 'number') {
      this.entity = mode === 'sensor' ? (c.power.target?.sensor ?? null) : c.power.sensor;
      const ha = this.ctx.handle('ha');
      if (ha && this.entity) {
        const f = new EntityFollower(ha.connection as unknown as HaConnectionLike, this.entity, log);
        this.follower = f;
        f.on('change', () => this.soon());
        f.start();
        this.stops.add('power target sensor', () => f.stop());
      }
    }
    this.stops.add(
      'power section',
      this.ctx.sections.report('power', () => this.section()),
    );
    this.stops.add(
      'power entities',
      this.ctx.sections.entities('power', () => ({ hub: this.entities() })),
    );
    this.on('command', (cmd) => (cmd.kind === 'extra' && cmd.key === KEY && !cmd.worker ? this.setNumber(cmd.value) : undefined));
    const t = setInterval(() => this.soon(), EVERY_MS);
    t.unref();
    this.stops.add('power clock', () => {
      clearInterval(t);
      if (this.pending) clearTimeout(this.pending);
    });
    this.stops.add('power allocation', () => this.running ?? undefined);
    await this.run();
    log.info({ mode, entity: this.entity }, `power target: ${this.status?.summary ?? ''}`);
  }

  /** The number entity's command: watts from 0; anything else is refused with a warning. */
  private async setNumber(value: string): Promise<void> {
    const log = this.ctx.logger('power');
    if (this.mode !== 'number') {
      log.warn({ value }, `the power target follows ${this.entity ?? 'a sensor'}: set power_target to number to set it in Home Assistant`);
      return;
    }
    const n = /^[+]?\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < 0 || n > MAX_SET_W) {
      log.warn({ value: value.slice(0, 64) }, `power target "${value.slice(0, 64)}" refused: give watts from 0 to ${MAX_SET_W}`);
      return;
    }
    if (n === this.numberW) return;
    this.numberW = n;
    try {
      await writeJsonAtomic(this.files.target, { target_w: n, at: new Date().toISOString() });
    } catch (err) {
      log.error({ err }, `could not keep the power target in ${this.files.target}; it applies until the hub stops`);
    }
    log.info({ target_w: n }, `power target set to ${n} W in Home Assistant`);
    this.soon();
  }

  /** Plans now, or as soon as the last plan is MIN_GAP_MS old (one waiting plan at most). */
  private soon(): void {
    if (this.ctx.stopping()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastRun + MIN_GAP_MS - Date.now();
    if (wait > 0) {
      this.pending ??= setTimeout(() => {
        this.pending = null;
        this.soon();
      }, wait);
      return;
    }
    void this.run();
  }

  private run(): Promise<void> {
    const r = (async () => {
      try {
        await this.allocate();
      } catch (err) {
        this.ctx.log.error({ err }, 'power target allocation failed');
      }
    })();
    this.running = r;
    return r.finally(() => {
      this.running = null;
      this.lastRun = Date.now();
      if (this.again) {
        this.again = false;
        this.soon();
      }
    });
  }

  private async allocate(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.stopping() || !this.mode) return;
    const now = Date.now();
    const snap = await ctx.planner.snapshot();
    const stats = ctx.manager.stats.snapshot();
    const report = ctx.obedience.report(stats);
    const figures = ctx.obedience.figures(stats);
    const axeos = ctx.handle('axeos' as never) as AxeosLike | null;
    const miners: MinerFacts[] = snap.miners.map((m) => {
      const fig = ctx.obedience.watts(m.id, m.hashrate);
      return {
        id: m.id,
        name: m.name,
        connected: m.connected,
        hashrate: m.hashrate,
        watts: fig.watts,
        how: fig.how,
        by: report.find((r) => r.name === m.id)?.by ?? null,
        axeos: axeos?.powerReading?.(m.id) ?? null,
      };
    });
    const workers = fleetOf(snap, miners, ctx.planner.lastPlan, ctx.config.headroom);
    this.fleetMax = fleetMaxW(workers);
    const wpt = snap.hub?.wattsPerThread ?? 0;
    const raplW = await this.meter.read();
    const axPower = Object.fromEntries(miners.filter((m) => m.axeos).map((m) => [m.id, m.axeos?.power ?? null]));
    const readings = readingsOf({ threads: ctx.pool.threads, wattsPerThread: wpt, raplW }, figures, axPower);
    // the miners' draw now (the hub's by its estimate: RAPL counts the whole CPU, not only mining)
    const miningW = Object.entries(readings).reduce((s, [id, r]) => s + (id === HUB_ID ? (r.estimated ?? 0) : (bestFigure(r).watts ?? 0)), 0);
    const target = this.targetNow(now, miningW);
    const { plan, state } = allocatePower(
      { now, targetW: target.watts, targetSource: this.sourceWords(), targetNote: target.watts === null ? target.state : null, workers },
      DEFAULT_POWER_OPTIONS,
      this.state,
    );
    this.state = state;
    await this.saveState(state);
    this.target = target;
    ctx.planner.setPower(powerCap(plan, HUB_ID));
    for (const a of plan.workers) if (a.kind === 'axeos' && a.level > 0) axeos?.setBudget?.(a.id, a.planned_w);
    const hubNote =
      ctx.pool.threads > 0 && raplW !== null
        ? 'measured: RAPL package power (whole CPU, not only mining)'
        : `estimated: ${ctx.pool.threads} threads x ${Math.round(wpt * 10) / 10} W (${raplW === null ? (this.meter.unavailable ?? 'no RAPL reading') : 'no threads'})`;
    this.status = { ...powerStatus(plan, readings, target), mode: this.mode, status: target.status, fleet_max_w: this.fleetMax, hub_note: hubNote };
    await ctx.bus.emit('powerPlan', plan);
  }

  private sourceWords(): string {
    if (this.mode === 'number') return 'set in Home Assistant';
    if (this.mode === 'surplus') return `surplus (${this.entity ?? 'no power_sensor'})`;
    return this.entity ?? 'power_target_sensor';
  }

  /** The target now: the number, or the sensor's reading followed over short gaps. */
  private targetNow(now: number, miningW: number): TargetValue {
    if (this.mode === 'number') {
      if (this.numberW === null)
        return { watts: null, status: 'missing', state: 'no power target set yet (set Power target in Home Assistant, W): no figure, not mining' };
      const w = this.numberW;
      return w > this.fleetMax
        ? { watts: w, status: 'capped', state: `${w} W set in Home Assistant: above the fleet's ${this.fleetMax} W maximum (the whole fleet can run)` }
        : { watts: w, status: 'ok', state: `${w} W set in Home Assistant` };
    }
    const entity = this.entity ?? 'power_target_sensor';
    let value: TargetValue;
    if (!this.follower)
      value = {
        watts: null,
        status: 'unavailable',
        state: `${entity}: no Home Assistant connection (run as the add-on, or give ha_url and ha_token): no figure, not mining`,
      };
    else if (this.mode === 'surplus')
      value = surplusTarget(this.follower.reading, {
        entity,
        inverted: this.ctx.config.power.sensorInverted,
        absurdW: ABSURD_W,
        fleetMaxW: this.fleetMax,
        includesMining: true,
        miningW,
      });
    else value = parseTargetState(this.follower.reading, { entity, absurdW: ABSURD_W, fleetMaxW: this.fleetMax });
    const f = followTarget(this.track, value, now);
    this.track = f.track;
    return f.value;
  }

  /** Keeps the allocator's state when a level or an on/off time changed (not every plan). */
  private async saveState(state: PowerState): Promise<void> {
    const levels = levelsOf(state);
    if (levels === this.savedLevels) return;
    try {
      await writeJsonAtomic(this.files.state, state);
      this.savedLevels = levels;
    } catch (err) {
      this.ctx.log.warn({ err }, `could not keep the power allocation in ${this.files.state}`);
    }
  }

  private section(): PowerSection {
    if (!this.status) throw new Error('no power plan yet');
    return this.status;
  }

  /** The hub device's power entities: the target (a number in number mode), planned, measured and how, the target's state. */
  private entities(): ExtraEntity[] {
    const s = this.status;
    const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v * 10) / 10) : 'None');
    const watts = { unit_of_measurement: 'W', device_class: 'power', state_class: 'measurement' };
    const max = Math.max(100, Math.ceil(this.fleetMax / 100) * 100);
    const target: ExtraEntity =
      this.mode === 'number'
        ? {
            key: KEY,
            platform: 'number',
            name: 'Power target',
            config: { min: 0, max, step: 1, mode: 'box', unit_of_measurement: 'W', device_class: 'power', icon: 'mdi:flash' },
            state: num(this.numberW),
            command: true,
          }
        : { key: KEY, platform: 'sensor', name: 'Power target', config: { ...watts, icon: 'mdi:flash' }, state: num(s?.target_w) };
    return [
      target,
      { key: 'power_planned', platform: 'sensor', name: 'Power planned', config: { ...watts, icon: 'mdi:flash-outline' }, state: num(s?.planned_w) },
      { key: 'power_measured', platform: 'sensor', name: 'Power measured', config: { ...watts, icon: 'mdi:meter-electric' }, state: num(s?.measured_w) },
      {
        key: 'power_measured_how',
        platform: 'sensor',
        name: 'Power measured how',
        config: { icon: 'mdi:information-outline' },
        state: (s?.measured_how ?? 'no figures').slice(0, 250),
      },
      {
        key: 'power_target_state',
        platform: 'sensor',
        name: 'Power target state',
        config: { icon: 'mdi:information-outline' },
        state: (this.target?.state ?? 'starting').slice(0, 250),
      },
    ];
  }
}

function levelsOf(s: PowerState): string {
  return JSON.stringify(Object.entries(s.workers).map(([id, w]) => [id, w.level, w.since, w.changedAt, w.wantSince ?? 0]));
}

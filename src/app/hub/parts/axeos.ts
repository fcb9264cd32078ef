/**
 * AxeOS part: Bitaxe and other AxeOS miners on the endpoint (src/axeos, docs/axeos.md). A plain
 * miner's connection address is asked for AxeOS (private ranges only), or the worker's
 * `axeos_url` mapping is used; a linked miner's readings become `/api/status` `workers[].axeos`,
 * its HA entities (sensors, problem binary sensors, the Frequency select, the switch "Steered by
 * Micro Mining") and its measured watts for the plan and the cost; the plan's pause of a steered
 * miner goes through AxeOS where the firmware can (v2.14+), the plug staying the last step. What
 * the user's own settings were is kept in `<data>/axeos.json` and put back at stop.
 *
 * consumes: workerState, tick (who is on the endpoint), command (extra: its entities)
 * offers: handle `axeos` (steps, setBudget, powerReading: for a power-target part)
 * uses: ctx.obedience (usePauser, setMeasuredWatts, the endpoint's workers)
 */
import { join } from 'node:path';
import {
  AxeosPart as AxeosMiners,
  RememberedFile,
  minerEntities,
  type AxeosPartOptions,
  type AxeosStatus,
  type AxeosStep,
  type PowerReading,
} from '../../../axeos/index.js';
import type { Logger } from '../../../log.js';
import type { MinerCommand } from '../../../mqtt/index.js';
import { Part } from '../context.js';

/** Per worker in `/api/status` (`workers[].axeos`): the miner's own figures; its power is measured. */
export type AxeosWorkerStatus = AxeosStatus & { power_how: 'measured' };

/** What a power-target part uses to fit AxeOS miners into a budget. */
export interface AxeosHandle {
  /** the miner's frequency steps, watts and hashrate estimated from its last reading ([] : not linked) */
  steps(worker: string): AxeosStep[];
  /** the watts it may use now (null: no budget, its user's own settings); steering must be on */
  setBudget(worker: string, watts: number | null): void;
  /** its last reading taken while hashing (W measured, H/s), null before one */
  powerReading(worker: string): PowerReading | null;
  /** the linked workers */
  workers(): string[];
}

declare module '../sections.js' {
  interface WorkerSections {
    axeos: AxeosWorkerStatus;
  }
}

declare module '../context.js' {
  interface HubHandles {
    /** axeos: AxeOS miners' steps and budgets */
    axeos: AxeosHandle;
  }
  interface HubOverrides {
    /** AxeOS part options (tests: allowLoopback, probePort, shorter intervals) */
    axeos?: Partial<AxeosPartOptions>;
  }
}

/** A frequency command: whole MHz only. */
const MHZ = /^[0-9]{1,5}$/;

export class AxeosPart extends Part {
  readonly name = 'axeos';

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    const log = ctx.logger('axeos');
    const file = new RememberedFile(join(c.dataDir, 'axeos.json'), log);
    const remembered = file.load();
    const mappings = Object.entries(c.miners.axeosUrls ?? {}).map(([worker, url]) => ({ worker, url }));
    const miners = new AxeosMiners({ mappings, remembered, logger: log, ...ctx.overrides.axeos });
    miners.on('remember', (e) => file.set(e.worker, { ...e.user, pausedByHub: e.pausedByHub }));
    // the measured watts (its last reading while hashing) are the worker's figure for the plan and the cost
    const measure = (worker: string) => ctx.obedience.setMeasuredWatts(worker, miners.powerReading(worker)?.power ?? null);
    miners.on('reading', (e) => measure(e.worker));
    miners.on('unlinked', (e) => ctx.obedience.setMeasuredWatts(e.worker, null));
    miners.on('steered', (e) => log.info({ worker: e.worker, action: e.action, reason: e.reason }, `AxeOS ${e.action}: ${e.reason}`));
    await miners.start();
    this.stops.add('axeos miners (their own settings back)', () => miners.stop());

    // the plan's pause: a steered miner whose firmware can pause is paused through AxeOS, not the plug
    ctx.obedience.usePauser({
      setWorking: (worker, working, reason) => {
        const s = miners.status(worker);
        if (!s?.steered || !s.can_pause) return false;
        void (working ? miners.resume(worker) : miners.pause(worker)).then((r) => {
          if (!r.ok) log.warn({ worker, working, reason, detail: r.detail }, `AxeOS could not ${working ? 'resume' : 'pause'} the miner: ${r.detail}`);
        });
        return true;
      },
    });
    this.stops.add('axeos pauser', () => ctx.obedience.usePauser(null));

    // who is on the endpoint: plain miners by their connection address (and the MAC and host name they or the mappings told)
    const present = new Set<string>();
    const reconcile = () => {
      if (ctx.stopping()) return;
      const now = new Map<string, { address: string; mac: string | null; hostname: string | null }>();
      for (const w of ctx.obedience.control.list()) {
        if (w.kind !== 'miner' || now.has(w.worker)) continue;
        now.set(w.worker, { address: w.address, mac: w.mac, hostname: w.hostname });
      }
      for (const [worker, w] of now) {
        if (present.has(worker)) continue;
        present.add(worker);
        const mapped = c.idle.workers.find((m) => m.workerId === worker);
        miners.minerConnected({ worker, address: w.address, mac: w.mac ?? mapped?.mac ?? null, hostname: w.hostname });
      }
      for (const worker of [...present]) {
        if (now.has(worker)) continue;
        present.delete(worker);
        void miners.minerGone({ worker });
      }
    };
    this.on('workerState', () => reconcile());
    this.on('tick', () => reconcile());

    ctx.provide('axeos', {
      steps: (w) => miners.steps(w),
      setBudget: (w, watts) => miners.setBudget(w, watts),
      powerReading: (w) => miners.powerReading(w),
      workers: () => miners.workers(),
    });
    this.stops.add('axeos handle', () => ctx.provide('axeos', null));

    const statuses = () => {
      const out: Record<string, AxeosStatus> = {};
      for (const w of miners.workers()) {
        const s = miners.status(w);
        if (s) out[w] = s;
      }
      return out;
    };
    this.stops.add(
      'axeos status',
      ctx.sections.reportWorkers('axeos', () => Object.fromEntries(Object.entries(statuses()).map(([w, s]) => [w, { ...s, power_how: 'measured' as const }]))),
    );
    this.stops.add(
      'axeos entities',
      ctx.sections.entities('axeos', () => ({ workers: Object.fromEntries(Object.entries(statuses()).map(([w, s]) => [w, minerEntities(s)])) })),
    );

    this.on('command', (cmd) => this.command(cmd, miners, log));
  }

  /** A command to one of its entities: checked here (a value the device does not list is refused, never sent). */
  private async command(cmd: MinerCommand, miners: AxeosMiners, log: Logger): Promise<void> {
    if (cmd.kind !== 'extra' || !cmd.worker || !cmd.key.startsWith('axeos_')) return;
    const worker = cmd.worker;
    const s = miners.status(worker);
    if (!s) {
      log.warn({ worker, key: cmd.key }, 'an AxeOS command for a worker that is not linked to AxeOS: ignored');
      return;
    }
    if (cmd.key === 'axeos_steered') {
      const v = cmd.value.toUpperCase();
      if (v !== 'ON' && v !== 'OFF') {
        log.warn({ worker, value: cmd.value }, 'Steered by Micro Mining takes ON or OFF: ignored');
        return;
      }
      await miners.setSteering(worker, v === 'ON');
      log.info({ worker, steered: v === 'ON' }, v === 'ON' ? 'steering turned on' : 'steering turned off: the user’s own settings back');
      return;
    }
    if (cmd.key === 'axeos_frequency_select') {
      const mhz = MHZ.test(cmd.value) ? Number(cmd.value) : Number.NaN;
      const listed = s.frequency_options.length ? s.frequency_options : s.frequency_mhz !== null ? [s.frequency_mhz] : [];
      if (!listed.includes(mhz)) {
        log.warn(
          { worker, value: cmd.value, options: listed },
          `refused a frequency the device does not list (${listed.join(', ') || 'none'} MHz): nothing sent`,
        );
        return;
      }
      const r = await miners.selectFrequency(worker, mhz);
      if (r.ok) log.info({ worker, frequency: mhz }, `frequency set to ${mhz} MHz (chosen in Home Assistant)`);
      else log.warn({ worker, frequency: mhz, detail: r.detail }, `frequency not set: ${r.detail}`);
      return;
    }
    log.warn({ worker, key: cmd.key }, 'an unknown AxeOS command: ignored');
  }
}

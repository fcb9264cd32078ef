/**
 * Reads what a snapshot is made of from the shared objects and the parts' handles, once each
 * (WorkerStats' snapshot is taken once, not once per view). The only impure step of a snapshot;
 * buildSnapshot (snapshot.ts) does the rest.
 */
import type { HubContext } from './context.js';
import { buildSnapshot, type SnapshotInputs, type TickSnapshot } from './snapshot.js';
import { estimateCpuWatts } from '../power-estimate.js';
import { emptyTotals } from '../store.js';

export function gatherInputs(ctx: HubContext): SnapshotInputs {
  const c = ctx.config;
  const ps = ctx.pool.stats();
  const workers = ctx.manager.stats.snapshot();
  // what each worker does now: by its own report (agents, pages), else by its shares (a paused
  // plain miner that still hashes its last job counts too)
  const figures = ctx.obedience.figures(workers);
  const minerWatts: Record<string, number> = {};
  const minerEnergyKwh: Record<string, number> = {};
  for (const f of figures) {
    if (f.hashing) minerWatts[f.name] = f.watts;
    minerEnergyKwh[f.name] = ctx.obedience.energyKwh(f.name);
  }
  const ha = ctx.handle('ha');
  const totals = ctx.handle('totals')?.now() ?? emptyTotals();
  return {
    at: Date.now(),
    startedAt: ctx.startedAt,
    cores: ctx.cores,
    config: {
      mode: c.node ? 'solo' : c.pool ? 'pool' : 'practice',
      practice: c.practice,
      addon: c.addon,
      policy: c.policy,
      threads: c.threads,
      priceSensor: Boolean(c.power.priceSensor),
      maxWorkerDevices: c.stratum.maxWorkerDevices,
    },
    source: ctx.manager.label,
    upstreamConnected: ctx.manager.currentLayout() !== null,
    node: ctx.nodeSource?.status() ?? null,
    pool: { hashrate: ps.hashrate, threads: ps.threads, kernel: ps.kernel },
    workers,
    session: ctx.manager.stats.session(),
    totals: { bestDifficulty: totals.bestDifficulty, blocksFound: totals.blocksFound, energyKwh: totals.energyKwh },
    networkDifficulty: ctx.handle('network')?.difficulty(),
    plan: ctx.planner.lastPlan,
    manual: ctx.planner.manualInput,
    obeyed: ctx.obedience.report(workers),
    figures,
    // the hub's threads by the one power model (the planner's watts per thread are the same figure)
    hubPower: ps.hashrate > 0 ? estimateCpuWatts(ps.threads, 'computer', ctx.overrides.wattsPerThread) : { watts: 0, how: 'estimated' },
    minerWatts,
    minerEnergyKwh,
    appliances: ctx.planner.applianceList(),
    ignoredAppliances: ha ? ha.ignored().length : 0,
    haAway: ha ? ha.status().haAway : null,
    // false while the user's broker does not answer (the entities wait for it) or reconnecting
    mqtt: ctx.handle('entities')?.connected ?? null,
    price: ctx.handle('price') ?? { value: null, unit: null },
    sections: ctx.sections.read((name, err) => ctx.log.warn({ err, section: name }, `snapshot section ${name} failed; left out`)),
  };
}

/** The snapshot now: gathered once, built by the pure function. */
export function snapshotNow(ctx: HubContext): TickSnapshot {
  return buildSnapshot(gatherInputs(ctx));
}

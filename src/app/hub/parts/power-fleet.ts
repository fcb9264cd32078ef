// The power part's view of the fleet, pure: what the planner, obedience and the AxeOS part say of
// each worker -> the allocator's workers (their steps, with where each step's watts come from) and
// the readings /api/status shows (measured / plug / declared / estimated).
import {
  HUB_ID,
  POWER_REASON,
  axeosSteps,
  plugSteps,
  threadSteps,
  type AxeosReading,
  type Plan,
  type PowerWorker,
  type WattSource,
  type WorkerPowerReadings,
} from '../../../schedule/index.js';
import type { HubSnapshot } from '../../../flow/index.js';

/** What the power part knows of one miner on the endpoint. */
export interface MinerFacts {
  id: string;
  name?: string;
  connected: boolean;
  hashrate: number;
  /** its watts while it works, and where the figure comes from (obedience.watts) */
  watts: number;
  how: WattSource;
  /** how it obeys: an HA switch (a plug), the extension (an agent or a page), or no new work */
  by: 'extension' | 'no-work' | 'switch' | null;
  /** its AxeOS reading, when the AxeOS part links it */
  axeos: AxeosReading | null;
}

/** Why the last plan paused a worker for a reason of its own (busy, quiet hours, by hand): it cannot meet the target. */
function pausedByPlan(plan: Plan | null, id: string): string | null {
  const d = plan?.workers.find((w) => w.id === id);
  // the plan's own minimum pause after a pause of the target's is no reason of its own
  if (d?.action !== 'pause' || d.reason.startsWith(POWER_REASON) || d.reason.endsWith('(minimum pause)')) return null;
  return d.reason;
}

/** The hub's thread cap as the plan applies it: the pool, the headroom, the hand-set cap. */
export function hubThreadCap(snap: HubSnapshot, headroom: number | null): number {
  const h = snap.hub;
  if (!h) return 0;
  const keep = typeof h.headroomCores === 'number' ? h.headroomCores : (headroom ?? 1);
  const caps = [h.maxThreads, Math.max(0, h.cores - keep)];
  if (typeof snap.manual.maxThreads === 'number') caps.push(snap.manual.maxThreads);
  return Math.max(0, Math.min(...caps));
}

/** The allocator's workers: the hub's threads, each miner's steps (AxeOS frequencies, or on/off). */
export function fleetOf(snap: HubSnapshot, miners: MinerFacts[], lastPlan: Plan | null, headroom: number | null): PowerWorker[] {
  const out: PowerWorker[] = [];
  if (snap.hub) {
    const cap = hubThreadCap(snap, headroom);
    const why = pausedByPlan(lastPlan, HUB_ID) ?? (snap.manual.paused ? 'mining switched off by hand' : null);
    out.push({
      id: HUB_ID,
      name: 'hub',
      kind: 'hub',
      steps: threadSteps(cap, snap.hub.wattsPerThread, snap.hub.hashratePerThread, 'estimated'),
      source: 'estimated',
      ...(why ? { available: false, unavailable: why } : {}),
    });
  }
  for (const m of miners) {
    if (m.id === HUB_ID) continue;
    const off = snap.manual.workersOff?.includes(m.id)
      ? 'its Mining switch is off in Home Assistant'
      : !m.connected
        ? 'not connected'
        : pausedByPlan(lastPlan, m.id);
    // a miner whose hashrate is not known yet plans with 1 H/s: last in line, but it can run and be measured
    const hashrate = m.hashrate > 0 ? m.hashrate : 1;
    const ax = m.axeos ? axeosSteps(m.axeos) : [];
    const w: PowerWorker = ax.length
      ? { id: m.id, name: m.name ?? m.id, kind: 'axeos', steps: ax, source: 'measured' }
      : {
          id: m.id,
          name: m.name ?? m.id,
          kind: m.by === 'switch' ? 'plug' : m.by === 'extension' ? 'agent' : 'miner',
          steps: plugSteps(m.watts, hashrate, m.how),
          source: m.how,
        };
    if (off) Object.assign(w, { available: false, unavailable: off });
    out.push(w);
  }
  return out;
}

/** The readings of each worker for powerStatus: the hub's RAPL figure (or its estimate), the others' own figures. */
export function readingsOf(
  hub: { threads: number; wattsPerThread: number; raplW: number | null },
  figures: { name: string; hashing: boolean; watts: number; how: WattSource }[],
  axeosPower: Record<string, number | null>,
): Record<string, WorkerPowerReadings> {
  const out: Record<string, WorkerPowerReadings> = {};
  out[HUB_ID] = { own: hub.threads > 0 ? hub.raplW : null, estimated: hub.threads * hub.wattsPerThread };
  for (const f of figures) {
    const r: WorkerPowerReadings = {};
    const ax = axeosPower[f.name];
    if (typeof ax === 'number') r.own = ax;
    if (f.how === 'plug') r.plug = f.watts;
    else if (f.how === 'declared') r.declared = f.hashing ? f.watts : 0;
    else r.estimated = f.watts;
    out[f.name] = r;
  }
  return out;
}

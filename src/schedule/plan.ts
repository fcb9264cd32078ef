// The planning step: policy + appliances + workers + previous state -> plan + new state. Pure.
import type { ApplianceInput, Plan, Policy, ScheduleInput, ScheduleResult, ScheduleState, WorkerDecision, WorkerState } from './types.js';
import { capByPower } from './power-plan.js';

export const HUB_ID = 'hub';

/** Minutes since local midnight. */
export function localMinutes(now: number, utcOffsetMinutes = 0): number {
  const m = Math.floor(now / 60_000) + utcOffsetMinutes;
  return ((m % 1440) + 1440) % 1440;
}

function hhmmToMinutes(s: string): number {
  const [h, m] = s.split(':');
  return Number(h) * 60 + Number(m);
}

/** The quiet-hours span that contains `minutes`, or null. */
export function inQuietHours(policy: Policy, minutes: number): string | null {
  for (const q of policy.quietHours) {
    const a = hhmmToMinutes(q.start);
    const b = hhmmToMinutes(q.end);
    const inside = a < b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
    if (inside) return `${q.start}-${q.end}`;
  }
  return null;
}

/** The power budget in surplus mode: the surplus sensor, else the policy's or the hub's static budget; floored to a stage. */
export function budgetFor(policy: Policy, input: ScheduleInput): { watts: number | null; source: string } {
  const b = input.budget ?? {};
  let watts: number | null = null;
  let source = 'no budget';
  if (typeof b.surplusW === 'number') {
    watts = Math.max(0, b.surplusW);
    source = 'surplus';
  } else if (policy.staticBudgetW !== null) {
    watts = policy.staticBudgetW;
    source = 'static budget';
  } else if (typeof b.staticW === 'number') {
    watts = b.staticW;
    source = 'static budget';
  }
  if (watts !== null && policy.stagesW.length) {
    const stages = [...policy.stagesW].sort((x, y) => x - y);
    let stage = 0;
    for (const s of stages) if (s <= watts) stage = s;
    watts = stage;
  }
  return { watts, source };
}

function matches(a: ApplianceInput, key: string): boolean {
  return key === '*' || a.id === key || a.name === key;
}

function fmtW(w: number): string {
  return `${Math.round(w)} W`;
}

function fmtH(h: number): string {
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s'];
  let i = 0;
  while (h >= 1000 && i < units.length - 1) {
    h /= 1000;
    i++;
  }
  return `${h >= 100 || i === 0 ? Math.round(h) : Number(h.toFixed(1))} ${units[i]}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

interface Candidate {
  id: string;
  kind: 'hub' | 'miner';
  /** hub: threads it may run; miner: 1 */
  maxUnits: number;
  wattsPerUnit: number;
  hashratePerUnit: number;
  prev: WorkerState | undefined;
}

/**
 * One planning step. Deterministic: the same input, policy and state give the same plan (no
 * clock, no randomness; workers are ordered by id). Preemption (an appliance busy, quiet hours,
 * price, a manual stop, a smaller budget) takes effect at once; a stopped worker waits
 * `minPauseSeconds` before it starts again, and fairness never swaps out a worker that has run
 * less than `minRunSeconds`.
 */
export function schedule(input: ScheduleInput, configured: Policy, previous: ScheduleState | null = null): ScheduleResult {
  const now = input.now;
  // a mode chosen by hand (HA select entity, add-on option) overrides the flow's
  const policy: Policy = input.manual?.mode ? { ...configured, mode: input.manual.mode } : configured;
  const prevWorkers = previous?.workers ?? {};
  const idleAppliances = input.appliances.filter((a) => a.status === 'idle').length;
  const mustBeIdle = policy.mode !== 'always';
  const decisions: WorkerDecision[] = [];

  // Gates that stop all mining.
  let gate: string | null = null;
  const manual = input.manual ?? {};
  const price = input.budget?.price;
  const quiet = inQuietHours(policy, localMinutes(now, input.utcOffsetMinutes ?? 0));
  const yieldBusy = policy.yieldTo.length
    ? [...input.appliances]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .find((a) => a.status !== 'idle' && a.roles.includes('load') && policy.yieldTo.some((k) => matches(a, k)))
    : undefined;
  if (manual.paused) gate = 'mining switched off by hand';
  else if (quiet) gate = `quiet hours ${quiet}`;
  else if (policy.priceCeiling !== null && typeof price === 'number' && price > policy.priceCeiling)
    gate = `price ${price} above ceiling ${policy.priceCeiling}`;
  else if (yieldBusy) gate = `${yieldBusy.name} is ${yieldBusy.status}: mining yields to it`;

  const budget = policy.mode === 'surplus' ? budgetFor(policy, input) : { watts: null, source: '' };
  if (!gate && policy.mode === 'surplus' && budget.watts === null) gate = 'surplus mode without a budget (no surplus sensor reading and no static budget)';

  // Availability per worker.
  const candidates: Candidate[] = [];
  const pause = (id: string, kind: 'hub' | 'miner', reason: string) => decisions.push({ id, kind, action: 'pause', threads: 0, reason, hashrate: 0, watts: 0 });
  // pauses that are not the plan's own choice: the minimum pause does not hold them afterwards
  const pausedBy = new Map<string, 'hand' | 'absent'>();

  let hubLimit: string | null = null;
  if (input.hub) {
    const hub = input.hub;
    const hubAppliance = input.appliances.find((a) => a.workerId === HUB_ID);
    // the hub's own headroom setting (--headroom) wins over the policy's
    const headroom = typeof hub.headroomCores === 'number' ? hub.headroomCores : policy.headroomCores;
    const caps: [number, string][] = [
      [hub.maxThreads, `pool maximum ${hub.maxThreads}`],
      [Math.max(0, hub.cores - headroom), `${plural(headroom, 'core')} kept for Home Assistant (headroom ${headroom})`],
    ];
    if (policy.maxHubThreads !== null) caps.push([policy.maxHubThreads, `policy maximum ${policy.maxHubThreads}`]);
    if (typeof manual.maxThreads === 'number') caps.push([manual.maxThreads, `thread cap ${manual.maxThreads}`]);
    const [cap, capWhy] = caps.reduce((m, c) => (c[0] < m[0] ? c : m));
    hubLimit = cap < hub.cores ? `${Math.max(0, cap)} of ${plural(hub.cores, 'thread')}: ${capWhy}` : null;
    const load = hub.otherLoadPercent;
    if (gate) pause(HUB_ID, 'hub', gate);
    else if (cap <= 0 && typeof manual.maxThreads === 'number' && manual.maxThreads <= 0) {
      pause(HUB_ID, 'hub', `no hub threads: ${capWhy}`);
      pausedBy.set(HUB_ID, 'hand');
    } else if (cap <= 0) pause(HUB_ID, 'hub', `no hub threads: ${capWhy}`);
    else if (mustBeIdle && hubAppliance && hubAppliance.status !== 'idle')
      // the hub itself says why (its CPU figure, e.g. `the rest of the machine uses 54% CPU, above
      // the 50% limit`); a device linked to the hub is named
      pause(HUB_ID, 'hub', hubAppliance.id === HUB_ID && hubAppliance.reason ? hubAppliance.reason : `hub ${hubAppliance.name} is ${hubAppliance.status}`);
    else if (typeof load === 'number' && load > policy.maxHubLoadPercent)
      pause(HUB_ID, 'hub', `the rest of the machine uses ${Math.round(load)}% CPU, above the ${policy.maxHubLoadPercent}% limit`);
    else
      candidates.push({
        id: HUB_ID,
        kind: 'hub',
        maxUnits: cap,
        wattsPerUnit: hub.wattsPerThread,
        hashratePerUnit: hub.hashratePerThread,
        prev: prevWorkers[HUB_ID],
      });
  }
  if (manual.paused) for (const d of decisions) pausedBy.set(d.id, 'hand');
  const miners = [...input.miners].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const m of miners) {
    if (m.id === HUB_ID) continue;
    const linked = input.appliances.find((a) => a.workerId === m.id);
    if (gate) {
      pause(m.id, 'miner', gate);
      if (manual.paused) pausedBy.set(m.id, 'hand');
    } else if (manual.workersOff?.includes(m.id)) {
      pause(m.id, 'miner', 'its Mining switch is off in Home Assistant');
      pausedBy.set(m.id, 'hand');
    } else if (!m.connected) {
      pause(m.id, 'miner', 'not connected');
      pausedBy.set(m.id, 'absent');
    } else if (mustBeIdle && linked && linked.status !== 'idle') pause(m.id, 'miner', `${linked.name} is ${linked.status}`);
    else candidates.push({ id: m.id, kind: 'miner', maxUnits: 1, wattsPerUnit: m.watts, hashratePerUnit: m.hashrate, prev: prevWorkers[m.id] });
  }

  // Minimum pause: a worker the plan stopped recently waits (one stopped by hand, or that was
  // away, works again at once: its pause damped no flapping).
  const minPauseMs = policy.minPauseSeconds * 1000;
  const minRunMs = policy.minRunSeconds * 1000;
  const eligible: Candidate[] = [];
  for (const c of candidates) {
    const p = c.prev;
    if (p && !p.on && !p.pausedBy && p.since > 0 && now - p.since < minPauseMs) {
      const wait = Math.ceil((minPauseMs - (now - p.since)) / 1000);
      pause(c.id, c.kind, `paused ${Math.floor((now - p.since) / 1000)} s ago: waits ${wait} s more (minimum pause)`);
    } else eligible.push(c);
  }

  // Allocation.
  const idleWhy = (c: Candidate): string => {
    if (c.kind === 'hub') {
      const a = input.appliances.find((x) => x.workerId === HUB_ID);
      return policy.mode === 'always' ? 'policy always' : a ? `hub ${a.name} idle` : 'hub available';
    }
    const a = input.appliances.find((x) => x.workerId === c.id);
    return policy.mode === 'always' ? 'policy always' : a ? `${a.name} idle` : 'dedicated miner, connected';
  };
  const work = (c: Candidate, units: number, why: string) =>
    decisions.push({
      id: c.id,
      kind: c.kind,
      action: 'work',
      threads: units,
      reason: why,
      hashrate: units * c.hashratePerUnit,
      watts: units * c.wattsPerUnit,
    });

  if (policy.mode !== 'surplus') {
    for (const c of eligible) work(c, c.maxUnits, c.kind === 'hub' ? `${idleWhy(c)}: ${plural(c.maxUnits, 'thread')}` : idleWhy(c));
  } else {
    // Fair share of the budget: workers inside their minimum run first, then the least worked,
    // then the more efficient (H/s per W), then by id.
    const locked = (c: Candidate) => !!c.prev?.on && now - c.prev.since < minRunMs;
    const eff = (c: Candidate) => (c.wattsPerUnit > 0 ? c.hashratePerUnit / c.wattsPerUnit : Number.POSITIVE_INFINITY);
    const order = [...eligible].sort((a, b) => {
      const la = locked(a) ? 0 : 1;
      const lb = locked(b) ? 0 : 1;
      if (la !== lb) return la - lb;
      const wa = a.prev?.workedMs ?? 0;
      const wb = b.prev?.workedMs ?? 0;
      if (wa !== wb) return wa - wb;
      const ea = eff(a);
      const eb = eff(b);
      if (ea !== eb) return eb - ea;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    let remaining = budget.watts ?? 0;
    for (const c of order) {
      const units = c.wattsPerUnit > 0 ? Math.min(c.maxUnits, Math.floor((remaining + 1e-9) / c.wattsPerUnit)) : c.maxUnits;
      if (units <= 0) {
        pause(c.id, c.kind, `does not fit the budget: needs ${fmtW(c.wattsPerUnit)}, ${fmtW(remaining)} left of ${fmtW(budget.watts ?? 0)}`);
        continue;
      }
      remaining -= units * c.wattsPerUnit;
      const part = c.kind === 'hub' ? `${plural(units, 'thread')} (${fmtW(units * c.wattsPerUnit)})` : fmtW(c.wattsPerUnit);
      work(c, units, `${idleWhy(c)}; ${part} of ${fmtW(budget.watts ?? 0)} ${budget.source}`);
    }
  }

  // a power target (ManualInput.power) caps the hub's threads and keeps workers off, saying why
  if (manual.power) capByPower(decisions, manual.power);
  decisions.sort((a, b) => (a.kind !== b.kind ? (a.kind === 'hub' ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  // New state.
  const dt = previous ? Math.max(0, now - previous.at) : 0;
  const workers: Record<string, WorkerState> = {};
  for (const d of decisions) {
    const p = prevWorkers[d.id];
    const on = d.action === 'work';
    const wasOn = p?.on ?? false;
    const by = on ? undefined : pausedBy.get(d.id);
    workers[d.id] = {
      on,
      since: p && wasOn === on ? p.since : on || p ? now : 0,
      workedMs: (p?.workedMs ?? 0) + (wasOn ? dt : 0),
      threads: d.threads,
      ...(by ? { pausedBy: by } : {}),
    };
  }

  const hubThreads = decisions.find((d) => d.kind === 'hub')?.threads ?? 0;
  const expectedHashrate = decisions.reduce((s, d) => s + d.hashrate, 0);
  const expectedWatts = decisions.reduce((s, d) => s + d.watts, 0);
  const minersWorking = decisions.filter((d) => d.kind === 'miner' && d.action === 'work').length;
  let summary: string;
  if (hubThreads > 0 || minersWorking > 0) {
    const parts = [];
    if (hubThreads > 0) parts.push(plural(hubThreads, 'thread'));
    if (minersWorking > 0) parts.push(plural(minersWorking, 'miner'));
    parts.push(`${plural(idleAppliances, 'appliance')} idle`);
    if (budget.watts !== null) parts.push(`${fmtW(budget.watts)} ${budget.source}`);
    summary = `mining: ${parts.join(', ')} (${fmtH(expectedHashrate)}, ~${fmtW(expectedWatts)})`;
  } else if (gate) summary = `not mining: ${gate}`;
  else if (decisions.length === 0) summary = 'not mining: no workers';
  else summary = `not mining: ${decisions[0].reason}`;

  const plan: Plan = {
    at: now,
    mode: policy.mode,
    hubThreads,
    workers: decisions,
    expectedHashrate,
    expectedWatts,
    budgetW: budget.watts,
    idleAppliances,
    gate,
    summary,
    hubLimit,
  };
  return { plan, state: { at: now, workers } };
}

/** A plan that pauses everything (used when the scheduler goes away). */
export function pauseAllPlan(now: number, workerIds: string[], reason: string): Plan {
  const ids = [...new Set(workerIds)].sort();
  return {
    at: now,
    mode: 'always',
    hubThreads: 0,
    workers: ids.map((id) => ({ id, kind: id === HUB_ID ? 'hub' : 'miner', action: 'pause', threads: 0, reason, hashrate: 0, watts: 0 })),
    expectedHashrate: 0,
    expectedWatts: 0,
    budgetW: null,
    idleAppliances: 0,
    gate: reason,
    summary: `not mining: ${reason}`,
  };
}

// The power target's allocation applied to a plan's decisions (pure): the hub's threads capped at
// the allocator's step, the workers it keeps off paused, each decision's reason saying which step
// and why. The cap only lowers: a worker the plan paused (busy, quiet hours, by hand) stays paused.
import type { PowerCap, PowerPlan } from './power-types.js';
import type { WorkerDecision } from './types.js';

/** Words that start every reason the power target gives (a pause the plan did not choose itself). */
export const POWER_REASON = 'power target';

/** The cap the plan takes from one allocation: hub threads = the hub's level, the others on or off. */
export function powerCap(plan: PowerPlan, hubId = 'hub'): PowerCap {
  const target = plan.target_w === null ? `no figure: ${plan.summary.replace(/^not mining: /, '')}` : `${Math.round(plan.target_w)} W (${plan.source})`;
  const hub = plan.workers.find((w) => w.id === hubId && w.kind === 'hub');
  const off: Record<string, string> = {};
  const steps: Record<string, string> = {};
  for (const w of plan.workers) {
    if (w.id === hubId) continue;
    if (w.level === 0) off[w.id] = w.reason;
    else steps[w.id] = w.reason;
  }
  return { target, hubThreads: hub?.level ?? 0, hubReason: hub?.reason ?? 'not in the allocation', off, steps };
}

/** Applies the cap to the plan's decisions in place (their order kept). */
export function capByPower(decisions: WorkerDecision[], cap: PowerCap): void {
  for (const d of decisions) {
    if (d.action !== 'work') continue;
    if (d.kind === 'hub') {
      const n = Math.max(0, Math.floor(cap.hubThreads));
      if (n <= 0) {
        Object.assign(d, { action: 'pause', threads: 0, hashrate: 0, watts: 0, reason: `${POWER_REASON} ${cap.target}: ${cap.hubReason}` });
      } else if (n < d.threads) {
        const per = d.threads > 0 ? { h: d.hashrate / d.threads, w: d.watts / d.threads } : { h: 0, w: 0 };
        Object.assign(d, { threads: n, hashrate: per.h * n, watts: per.w * n, reason: `${d.reason}; ${POWER_REASON} ${cap.target}: ${cap.hubReason}` });
      } else d.reason = `${d.reason}; ${POWER_REASON} ${cap.target}: ${cap.hubReason}`;
    } else if (cap.off[d.id] !== undefined) {
      Object.assign(d, { action: 'pause', threads: 0, hashrate: 0, watts: 0, reason: `${POWER_REASON} ${cap.target}: ${cap.off[d.id]}` });
    } else if (cap.steps?.[d.id]) d.reason = `${d.reason}; ${POWER_REASON}: ${cap.steps[d.id]}`;
  }
}

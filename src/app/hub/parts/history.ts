/**
 * History part: one record per snapshot into the on-disk ring (src/history) — the home's and the
 * hub's hashrate, each worker's, the power with where it comes from, the power target and surplus
 * (the `power` section when a power target is on, else the plan's budget), accepted shares, the
 * best difficulty — and each worker's plan decision with its reason (from `plan` events).
 *
 * consumes: plan, snapshot
 * offers: handle `history` (query(span) for GET /api/history, served by the status part)
 */
import { History, type Decision, type HistoryQuery, type HistorySpan, type HistoryStatus, type HistoryTick } from '../../../history/index.js';
import type { Plan } from '../../../schedule/index.js';
import { sourceOf, type HubStatus } from '../../status.js';
import { Part } from '../context.js';

/** What the status server reads: the spans it serves and their JSON. */
export interface HistoryHandle {
  query(span: HistorySpan): HistoryQuery;
  status(): HistoryStatus;
}

declare module '../context.js' {
  interface HubHandles {
    /** history: the on-disk ring of the hub's figures and plan decisions */
    history: HistoryHandle;
  }
}

/** The history's record of one snapshot, with the plan's last decision per worker. Pure. */
export function tickOf(at: number, s: HubStatus, plan: Plan | null): HistoryTick {
  const decisions = new Map<string, { decision: Decision; reason: string }>();
  for (const w of plan?.workers ?? []) decisions.set(w.id, { decision: w.action, reason: w.reason });
  const workers: HistoryTick['workers'] = [];
  const hub = decisions.get('hub');
  workers.push({ name: 'hub', hashrate: s.mining ? s.hubHashrate : 0, decision: hub?.decision ?? null, reason: hub?.reason ?? null });
  const seen = new Set(['hub']);
  for (const w of s.workers) {
    if (seen.has(w.name)) continue;
    seen.add(w.name);
    const d = decisions.get(w.name);
    workers.push({ name: w.name, hashrate: w.status === 'mining' ? w.hashrate : 0, decision: d?.decision ?? w.asked ?? null, reason: d?.reason ?? null });
  }
  // a worker the plan names that is not connected now still has its decision kept
  for (const [name, d] of decisions) if (!seen.has(name)) workers.push({ name, hashrate: 0, decision: d.decision, reason: d.reason });
  const power = s.power;
  const surplus = power ? (power.mode === 'surplus' ? power.target_w : null) : plan?.mode === 'surplus' ? plan.budgetW : null;
  return {
    t: at,
    hashrate: s.mining ? s.hashrate : 0,
    hubHashrate: s.mining ? s.hubHashrate : 0,
    workers,
    powerW: s.powerW,
    powerHow: sourceOf(s.powerHow) ?? 'estimated',
    targetW: power?.target_w ?? null,
    surplusW: surplus ?? null,
    sharesAccepted: s.shares.accepted,
    bestDifficulty: s.bestDifficulty.session,
  };
}

export class HistoryPart extends Part {
  readonly name = 'history';
  private ring: History | null = null;
  private plan: Plan | null = null;

  async start(): Promise<void> {
    const ring = new History({ dataDir: this.ctx.config.dataDir });
    await ring.start();
    this.ring = ring;
    if (ring.notice) this.ctx.log.warn({ notice: ring.notice }, `history: ${ring.notice}`);
    this.stops.add('history', () => ring.stop());
    this.ctx.provide('history', { query: (span) => ring.query(span), status: () => ring.status() });
    this.stops.add('history handle', () => this.ctx.provide('history', null));
    this.on('plan', (plan) => {
      this.plan = plan;
    });
    this.on('snapshot', (snap) => ring.record(tickOf(snap.at, snap.status, this.plan)));
  }

  /** Before the parts stop: the open steps and the plan written now. */
  async flush(): Promise<void> {
    await this.ring?.flush({ all: true }).catch((err) => this.ctx.log.error({ err }, 'history: could not write'));
  }
}

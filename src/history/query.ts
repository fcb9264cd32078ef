// The query over the rings, pure: records and plan events in, the JSON of GET /api/history out.
import type { PlanEvent, Rec } from './record.js';
import type { Decision, HistoryQuery, HistorySpan, Point, PowerHow } from './types.js';

export const SPAN_S: Record<HistorySpan, number> = { '1h': 3600, '24h': 86_400, '30d': 30 * 86_400 };

/**
 * The series of `span` from `records` (its own tier, sorted or not) and `coarser` (the next tier:
 * its steps fill where the own tier has no record, e.g. after a kill -9), and the plan as
 * intervals per worker from `events` (in order of seq).
 */
export function buildQuery(
  span: HistorySpan,
  stepS: number,
  nowMs: number,
  records: Rec[],
  coarser: { stepS: number; records: Rec[] } | null,
  workerRecords: Rec[],
  names: string[],
  events: PlanEvent[],
): HistoryQuery {
  const fromMs = nowMs - SPAN_S[span] * 1000;
  const inWindow = (r: Rec) => r.t * 1000 >= fromMs - stepS * 1000 && r.t * 1000 <= nowMs;
  const own = records.filter(inWindow);
  let all = own;
  if (coarser) {
    const covered = new Set(own.map((r) => Math.floor(r.t / coarser.stepS)));
    all = own.concat(coarser.records.filter((r) => inWindow(r) && !covered.has(Math.floor(r.t / coarser.stepS))));
  }
  all.sort((a, b) => a.t - b.t);
  const pts = <T>(f: (r: Rec) => T): Array<Point<T>> => all.map((r) => [r.t * 1000, f(r)]);
  const workers: Record<string, Point[]> = {};
  for (const r of [...workerRecords].filter(inWindow).sort((a, b) => a.t - b.t)) {
    for (const [idx, h] of r.workers) {
      const name = names[idx];
      if (name === undefined) continue;
      (workers[name] ??= []).push([r.t * 1000, h]);
    }
  }
  return {
    span,
    step_s: stepS,
    from_ms: fromMs,
    to_ms: nowMs,
    series: {
      hashrate: pts((r) => r.hashrate),
      hub_hashrate: pts((r) => r.hub),
      power_w: pts((r) => r.power),
      power_source: pts((r): PowerHow | null => r.how),
      target_w: pts((r) => r.target),
      surplus_w: pts((r) => r.surplus),
      shares: pts((r) => r.shares),
      best_difficulty: pts((r) => r.best),
      workers,
    },
    plan: planIntervals(events, fromMs, nowMs),
  };
}

/** Each event opens an interval of its worker that the worker's next event closes ("gone" opens none). */
export function planIntervals(events: PlanEvent[], fromMs: number, nowMs: number): HistoryQuery['plan'] {
  const out: HistoryQuery['plan'] = [];
  const open = new Map<string, PlanEvent>();
  const close = (e: PlanEvent, to: number) => {
    if (e.decision === 'gone') return;
    const from = Math.max(e.t, fromMs);
    const end = Math.min(to, nowMs);
    if (end > from) out.push({ worker: e.worker, from, to: end, decision: e.decision as Decision, reason: e.reason });
  };
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const prev = open.get(e.worker);
    if (prev) close(prev, e.t);
    open.set(e.worker, e);
  }
  for (const e of open.values()) close(e, nowMs);
  return out.sort((a, b) => a.from - b.from || (a.worker < b.worker ? -1 : 1));
}

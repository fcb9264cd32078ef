// What met the target, as `/api/status` and the HA sensors show it: every watt figure says where it
// comes from (measured / plug / declared / estimated). Pure: the plan + the readings in, the view out.
import type { PowerPlan, WattSource } from './power-types.js';
import type { TargetValue } from './power-target.js';

/** What is known about one worker's draw now (W; null/absent = not known). */
export interface WorkerPowerReadings {
  /** the worker's own report: AxeOS `power`, a `micro-mining worker`'s RAPL reading */
  own?: number | null;
  /** its linked HA power sensor (the plug it hangs on) */
  plug?: number | null;
  /** the user's declared figure (the `worker_power` option) */
  declared?: number | null;
  /** the model's estimate (threads x W a thread, the planned step's figure) */
  estimated?: number | null;
}

const ok = (w: number | null | undefined): w is number => typeof w === 'number' && Number.isFinite(w) && w >= 0 && w <= 10_000_000;

/** The best figure there is: the worker's own report, else its plug, else the declared, else the estimate. */
export function bestFigure(r: WorkerPowerReadings): { watts: number | null; how: WattSource } {
  if (ok(r.own)) return { watts: r.own, how: 'measured' };
  if (ok(r.plug)) return { watts: r.plug, how: 'plug' };
  if (ok(r.declared)) return { watts: r.declared, how: 'declared' };
  if (ok(r.estimated)) return { watts: r.estimated, how: 'estimated' };
  return { watts: null, how: 'estimated' };
}

export interface PowerStatusWorker {
  id: string;
  name: string;
  /** the chosen step in words and why */
  step: string;
  planned_w: number;
  /** where planned_w comes from (the step's figure) */
  planned_how: WattSource;
  measured_w: number | null;
  /** where measured_w comes from */
  how: WattSource;
}

/** `/api/status` `power`. */
export interface PowerStatus {
  target_w: number | null;
  planned_w: number;
  /** the sum of the workers' figures (each says its own how) */
  measured_w: number | null;
  /** where the target comes from: `number` (set in HA), `sensor.p_deferrable0`, `surplus` */
  source: string;
  /** the target's state in words (`sensor.p_deferrable0 reads 0.3 kW = 300 W`, `... unavailable: no figure, not mining`) */
  state: string;
  /** how measured_w is made up, e.g. `2 measured, 1 plug, 1 estimated` */
  measured_how: string;
  over_w: number;
  summary: string;
  workers: PowerStatusWorker[];
}

export function powerStatus(plan: PowerPlan, readings: Record<string, WorkerPowerReadings>, target?: TargetValue | null): PowerStatus {
  const counts = new Map<WattSource, number>();
  let measured: number | null = null;
  const workers = plan.workers.map((a) => {
    const r = readings[a.id] ?? {};
    // an off worker's mining draw is 0 unless something measures it (a declared or estimated
    // figure is its draw while it works); with nothing better the planned step's own figure
    // stands in, labelled with its source
    const f = a.level === 0 ? bestFigure({ own: r.own, plug: r.plug, estimated: 0 }) : bestFigure(r);
    const fig = f.watts === null ? { watts: a.planned_w, how: a.how } : f;
    if (fig.watts !== null) {
      measured = (measured ?? 0) + fig.watts;
      counts.set(fig.how, (counts.get(fig.how) ?? 0) + 1);
    }
    return {
      id: a.id,
      name: a.name,
      step: a.reason,
      planned_w: a.planned_w,
      planned_how: a.how,
      measured_w: fig.watts === null ? null : Math.round(fig.watts * 10) / 10,
      how: fig.how,
    };
  });
  const order: WattSource[] = ['measured', 'plug', 'declared', 'estimated'];
  const measuredHow =
    order
      .filter((h) => counts.has(h))
      .map((h) => `${counts.get(h)} ${h}`)
      .join(', ') || 'no figures';
  return {
    target_w: plan.target_w === null ? null : Math.round(plan.target_w * 10) / 10,
    planned_w: plan.planned_w,
    measured_w: measured === null ? null : Math.round((measured as number) * 10) / 10,
    source: plan.source,
    state: target?.state ?? (plan.target_w === null ? 'no figure' : `${Math.round(plan.target_w)} W`),
    measured_how: measuredHow,
    over_w: plan.over_w,
    summary: plan.summary,
    workers,
  };
}

// Validation of untrusted power-target input (a fleet file, a flow message, the state kept between plans) with zod.
import { z } from 'zod';
import type { PowerState, PowerWorker } from './power-types.js';
import { MAX_STEPS } from './power-knapsack.js';
import { describeIssues, type Checked } from './schemas.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNeg = finite.refine((n) => n >= 0, 'must be >= 0');
const seconds = z.number().min(0).max(86_400);
export const wattSourceSchema = z.enum(['measured', 'plug', 'declared', 'estimated']);

export const powerStepSchema = z.object({
  watts: nonNeg.refine((n) => n <= 10_000_000, 'must be at most 10 MW'),
  hashrate: nonNeg,
  source: wattSourceSchema.optional(),
  label: z.string().max(60).optional(),
});

export const powerWorkerSchema = z
  .object({
    id: z.string().min(1, 'must not be empty').max(200),
    name: z.string().max(200).optional(),
    kind: z.enum(['hub', 'agent', 'axeos', 'plug', 'miner']),
    steps: z.array(powerStepSchema).min(1, 'needs at least one step').max(MAX_STEPS),
    source: wattSourceSchema,
    available: z.boolean().optional(),
    unavailable: z.string().max(500).optional(),
    minOnS: seconds.optional(),
    minOffS: seconds.optional(),
    minStepS: seconds.optional(),
    onDelayS: seconds.optional(),
  })
  .refine((w) => w.steps.every((s, i) => i === 0 || s.watts >= w.steps[i - 1].watts), {
    message: 'steps must be ordered by watts, lowest first',
    path: ['steps'],
  });

export const powerFleetSchema = z
  .array(powerWorkerSchema)
  .max(1000)
  .refine((ws) => new Set(ws.map((w) => w.id)).size === ws.length, 'worker ids must be unique');

const powerWorkerStateSchema = z.object({ level: z.number().int().min(0).max(MAX_STEPS), since: nonNeg, changedAt: nonNeg, wantSince: nonNeg.optional() });
export const powerStateSchema = z.object({ at: nonNeg, workers: z.record(z.string(), powerWorkerStateSchema) });

/** A fleet (workers with their steps); an error names the bad field, e.g. `3.steps.1.watts: must be >= 0`. */
export function parsePowerFleet(value: unknown): Checked<PowerWorker[]> {
  const r = powerFleetSchema.safeParse(value);
  return r.success ? { ok: true, value: r.data as PowerWorker[] } : { ok: false, error: describeIssues(r.error, 'fleet') };
}

export function parsePowerState(value: unknown): Checked<PowerState> {
  const r = powerStateSchema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error, 'power state') };
}

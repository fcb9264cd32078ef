// Validation of untrusted scheduler input (messages in a flow, MQTT payloads) with zod.
import { z } from 'zod';
import type { Plan, Policy, ScheduleInput, ScheduleState } from './types.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const nonNeg = finite.refine((n) => n >= 0, 'must be >= 0');
const id = z.string().min(1, 'must not be empty').max(200, 'at most 200 characters');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (00:00-23:59)');

export const applianceInputSchema = z.object({
  id,
  name: z.string().max(200),
  status: z.enum(['idle', 'busy', 'unknown']),
  roles: z.array(z.enum(['worker', 'load'])).max(2),
  workerId: id.optional(),
  watts: nonNeg.nullable().optional(),
  area: z.string().max(200).nullable().optional(),
  reason: z.string().max(1000).optional(),
  why: z.string().max(1000).optional(),
});

export const hubInputSchema = z.object({
  cores: z.number().int().min(1).max(1024),
  maxThreads: z.number().int().min(0).max(1024),
  hashratePerThread: nonNeg,
  wattsPerThread: nonNeg,
  otherLoadPercent: z.number().min(0).max(100).nullable().optional(),
  headroomCores: z.number().int().min(0).max(1024).nullable().optional(),
});

export const minerInputSchema = z.object({
  id,
  name: z.string().max(200).optional(),
  connected: z.boolean(),
  hashrate: nonNeg,
  watts: nonNeg,
});

export const budgetInputSchema = z.object({
  surplusW: finite.nullable().optional(),
  staticW: nonNeg.nullable().optional(),
  price: finite.nullable().optional(),
});

export const manualInputSchema = z.object({
  paused: z.boolean().optional(),
  maxThreads: z.number().int().min(0).max(1024).nullable().optional(),
  mode: z.enum(['always', 'idle_only', 'surplus']).nullable().optional(),
  workersOff: z.array(z.string().max(255)).max(1000).optional(),
  // the power target's allocation (power-plan.ts): a cap on hub threads, workers kept off, with reasons
  power: z
    .object({
      target: z.string().max(500),
      hubThreads: z.number().int().min(0).max(1024),
      hubReason: z.string().max(1000),
      off: z.record(z.string().max(255), z.string().max(1000)),
      steps: z.record(z.string().max(255), z.string().max(1000)).optional(),
    })
    .nullable()
    .optional(),
});

export const scheduleInputSchema = z.object({
  now: nonNeg,
  utcOffsetMinutes: z
    .number()
    .int()
    .min(-14 * 60)
    .max(14 * 60)
    .optional(),
  appliances: z.array(applianceInputSchema).max(5000),
  hub: hubInputSchema.nullable(),
  miners: z.array(minerInputSchema).max(1000),
  budget: budgetInputSchema.optional(),
  manual: manualInputSchema.optional(),
});

export const quietHoursSchema = z.object({ start: hhmm, end: hhmm }).refine((q) => q.start !== q.end, 'start and end must differ');

/** A policy with every field optional in, defaults filled out. */
export const policySchema = z.object({
  mode: z.enum(['always', 'idle_only', 'surplus']).default('idle_only'),
  maxHubThreads: z.number().int().min(0).max(1024).nullable().default(null),
  headroomCores: z.number().int().min(0).max(1024).default(1),
  maxHubLoadPercent: z.number().min(0).max(100).default(60),
  staticBudgetW: nonNeg.nullable().default(null),
  stagesW: z.array(z.number().positive().refine(Number.isFinite, 'must be finite')).max(32).default([]),
  quietHours: z.array(quietHoursSchema).max(16).default([]),
  priceCeiling: finite.nullable().default(null),
  yieldTo: z.array(id).max(200).default([]),
  minRunSeconds: z.number().min(0).max(86400).default(60),
  minPauseSeconds: z.number().min(0).max(86400).default(30),
});

export type PolicyInput = z.input<typeof policySchema>;

const workerStateSchema = z.object({
  on: z.boolean(),
  since: nonNeg,
  workedMs: nonNeg,
  threads: z.number().int().min(0),
  pausedBy: z.enum(['hand', 'absent']).optional(),
});
export const scheduleStateSchema = z.object({ at: nonNeg, workers: z.record(z.string(), workerStateSchema) });

const decisionSchema = z.object({
  id,
  kind: z.enum(['hub', 'miner']),
  action: z.enum(['work', 'pause']),
  threads: z.number().int().min(0).max(1024),
  reason: z.string().max(1000),
  hashrate: nonNeg,
  watts: nonNeg,
});

export const planSchema = z.object({
  at: nonNeg,
  mode: z.enum(['always', 'idle_only', 'surplus']),
  hubThreads: z.number().int().min(0).max(1024),
  workers: z.array(decisionSchema).max(1001),
  expectedHashrate: nonNeg,
  expectedWatts: nonNeg,
  budgetW: nonNeg.nullable(),
  idleAppliances: z.number().int().min(0),
  gate: z.string().max(1000).nullable(),
  summary: z.string().max(2000),
  hubLimit: z.string().max(500).nullable().optional(),
});

/** A readable one-line account of what is wrong, naming each bad field. */
export function describeIssues(error: z.ZodError, what: string): string {
  const parts = error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  const more = error.issues.length > 5 ? ` (+${error.issues.length - 5} more)` : '';
  return `bad ${what}: ${parts.join('; ')}${more}`;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): Checked<T> {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error, what) };
}

export function parseScheduleInput(value: unknown): Checked<ScheduleInput> {
  return check(scheduleInputSchema as z.ZodType<ScheduleInput>, value, 'schedule input');
}

/** Fills the defaults of a partial policy; an error names the bad field. */
export function parsePolicy(value: unknown): Checked<Policy> {
  return check(policySchema as unknown as z.ZodType<Policy>, value ?? {}, 'policy');
}

export function parseScheduleState(value: unknown): Checked<ScheduleState> {
  return check(scheduleStateSchema as z.ZodType<ScheduleState>, value, 'schedule state');
}

export function parsePlan(value: unknown): Checked<Plan> {
  return check(planSchema as z.ZodType<Plan>, value, 'plan');
}

/** The default policy (mode idle_only). */
export function defaultPolicy(): Policy {
  const r = parsePolicy({});
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

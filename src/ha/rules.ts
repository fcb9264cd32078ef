// Idle rules: defaults per domain, and the validation of user configuration (zod).
import { z } from 'zod';
import type { IdleRules } from './types.js';

/** States that say "not in use", per domain. Domains not listed have no opinion by state. */
export const DEFAULT_IDLE_STATES: Record<string, string[]> = {
  media_player: ['off', 'idle', 'standby'],
  vacuum: ['docked'],
  lawn_mower: ['docked'],
  switch: ['off'],
  light: ['off'],
  fan: ['off'],
  input_boolean: ['off'],
  binary_sensor: ['off'],
  climate: ['off'],
  water_heater: ['off'],
  humidifier: ['off'],
  remote: ['off'],
  // A device's own status sensor (washer/dryer/dishwasher programs, printers…).
  sensor: ['off', 'idle', 'standby', 'docked', 'ready', 'finished', 'stopped', 'not_running', 'sleep', 'sleeping'],
  select: [],
};

/** Busy states per domain for domains whose idle states are not exhaustive. */
export const DEFAULT_BUSY_STATES: Record<string, string[]> = {
  sensor: [
    'on',
    'running',
    'active',
    'busy',
    'washing',
    'drying',
    'rinsing',
    'spinning',
    'cleaning',
    'printing',
    'heating',
    'charging',
    'in_use',
    'playing',
    'program_running',
  ],
};

const overrideSchema = z
  .object({
    match: z
      .object({
        entity: z.string().min(1).max(255).optional(),
        device: z.string().min(1).max(255).optional(),
        area: z.string().min(1).max(255).optional(),
        label: z.string().min(1).max(255).optional(),
      })
      .strict()
      .refine((m) => Object.values(m).filter((v) => v !== undefined).length === 1, 'match exactly one of entity, device, area, label'),
    ignore: z.boolean().optional(),
    holdSeconds: z.number().min(0).max(86_400).optional(),
    powerThresholdW: z.number().min(0).max(1_000_000).optional(),
    idleStates: z.array(z.string().min(1).max(255)).max(100).optional(),
    role: z.enum(['worker', 'load', 'none']).optional(),
    force: z.enum(['idle', 'busy']).optional(),
  })
  .strict();

const workerSchema = z
  .object({
    workerId: z.string().min(1).max(255),
    deviceId: z.string().min(1).max(255).optional(),
    mac: z
      .string()
      .regex(/^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/, 'a MAC address like aa:bb:cc:dd:ee:ff')
      .optional(),
    ip: z.string().min(2).max(64).optional(),
    name: z.string().min(1).max(255).optional(),
  })
  .strict()
  .refine((w) => w.deviceId || w.mac || w.ip || w.name, 'give deviceId, mac, ip or name');

/** The idle-rules part of the configuration (every field optional; defaults filled in). */
export const idleRulesSchema = z
  .object({
    includeLights: z.boolean().default(false),
    holdSeconds: z.number().min(0).max(86_400).default(60),
    powerThresholdW: z.number().min(0).max(1_000_000).default(5),
    idleStates: z.record(z.string(), z.array(z.string().max(255)).max(100)).default({}),
    idleTimeSeconds: z
      .number()
      .min(0)
      .max(30 * 86_400)
      .default(300),
    overrides: z.array(overrideSchema).max(1000).default([]),
    workers: z.array(workerSchema).max(1000).default([]),
    hub: z
      .object({
        loadEntity: z
          .string()
          .regex(/^[a-z_]+\.[a-z0-9_]+$/, 'an entity id like sensor.processor_use')
          .optional(),
        maxLoadPercent: z.number().min(1).max(100).default(50),
        deviceId: z.string().min(1).max(255).optional(),
      })
      .strict()
      .default({ maxLoadPercent: 50 }),
    budget: z
      .object({
        surplusEntity: z
          .string()
          .regex(/^[a-z_]+\.[a-z0-9_]+$/, 'an entity id like sensor.grid_export')
          .optional(),
        surplusInverted: z.boolean().optional(),
        staticWatts: z.number().min(0).max(1_000_000).optional(),
        priceEntity: z
          .string()
          .regex(/^[a-z_]+\.[a-z0-9_]+$/, 'an entity id like sensor.electricity_price')
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type IdleRulesInput = z.input<typeof idleRulesSchema>;

/** Validates user rules and fills in the defaults; throws an Error naming the bad field. */
export function resolveIdleRules(input: unknown = {}): IdleRules {
  const r = idleRulesSchema.safeParse(input ?? {});
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`idle rules: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  const v = r.data;
  return {
    ...v,
    idleStates: { ...DEFAULT_IDLE_STATES, ...v.idleStates },
  } as IdleRules;
}

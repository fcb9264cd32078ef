// Value parsing (strings from flags and environment, typed values from files) and the zod
// building blocks of the settings schema.
import { isIP } from 'node:net';
import { z } from 'zod';
import { ENTITY_RE } from './fields.js';
import { poolUrlProblem } from './pool-url.js';

export interface QuietHours {
  /** minutes after midnight, local time */
  start: number;
  end: number;
  text: string;
}

export const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export function toBool(v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
  }
  return v;
}

export function toNumber(v: unknown): unknown {
  if (typeof v === 'string' && v.trim() !== '') {
    const s = v.trim();
    const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : Number(s);
    return Number.isFinite(n) ? n : v;
  }
  return v;
}

export function toJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (s.startsWith('[') || s.startsWith('{')) {
    try {
      return JSON.parse(s);
    } catch {
      return v;
    }
  }
  return v;
}

export const str = (max = 512) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
export const num = (min: number, max: number) =>
  z.preprocess(toNumber, z.number({ error: 'must be a number' }).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
export const int = (min: number, max: number) =>
  z.preprocess(
    toNumber,
    z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
export const bool = () => z.preprocess(toBool, z.boolean({ error: 'must be true or false' }));
export const entity = () => z.string().trim().regex(ENTITY_RE, 'must be an entity id like sensor.grid_export');
export const port = () => int(0, 65535);
export const ipAddress = () =>
  z
    .string()
    .trim()
    .refine((s) => isIP(s) !== 0, 'must be an IP address like 0.0.0.0 or 127.0.0.1');
export const topic = () => str(200).refine((s) => !/[#+]/.test(s) && !s.includes('\u0000'), 'must not contain # or + (a plain topic)');

export function urlWith(schemes: string[], what: string) {
  return str(2048).refine((s) => {
    try {
      const u = new URL(s);
      return schemes.includes(u.protocol.replace(/:$/, '').toLowerCase()) && u.hostname !== '';
    } catch {
      return false;
    }
  }, `must be ${what}`);
}

/** A pool URL: the one rule of ./pool-url.ts (the same pattern as the add-on's option schema). */
export const poolUrl = () =>
  str(2048).superRefine((s, ctx) => {
    const problem = poolUrlProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const QUIET_RE = /^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$/;

export function parseQuietHours(s: string): QuietHours[] {
  return s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const m = QUIET_RE.exec(p);
      if (!m) throw new Error(`"${p}" is not a range like 22:00-07:00`);
      const start = Number(m[1]) * 60 + Number(m[2]);
      const end = Number(m[3]) * 60 + Number(m[4]);
      if (start === end) throw new Error(`"${p}" starts and ends at the same time`);
      return { start, end, text: p.replace(/\s+/g, '') };
    });
}

export const quietHours = () =>
  z.preprocess(
    (v) => (Array.isArray(v) ? v.join(',') : v),
    z
      .string()
      .trim()
      .max(500)
      .superRefine((s, ctx) => {
        try {
          parseQuietHours(s);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
  );

export const powerStages = () =>
  z.preprocess(
    (v) =>
      typeof v === 'string' && !v.trim().startsWith('[')
        ? v
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
            .map(toNumber)
        : toJson(v),
    z
      .array(z.number({ error: 'each stage must be a number of watts' }).positive('each stage must be more than 0 W').max(1_000_000), {
        error: 'must be a list of watts',
      })
      .max(20, 'at most 20 stages')
      .refine((a) => a.every((x, i) => i === 0 || x > a[i - 1]), 'stages must increase, e.g. 500,1000,1500'),
  );

export const overrideItem = z
  .object({
    match_type: z.enum(['entity', 'device', 'area', 'label'], { error: 'match_type must be entity, device, area or label' }),
    match: str(255),
    state: z.enum(['auto', 'idle', 'busy', 'ignore'], { error: 'state must be auto, idle, busy or ignore' }).optional(),
    role: z.enum(['auto', 'load'], { error: 'role must be auto or load (load: count a device the rules leave out as an appliance)' }).optional(),
    hold_seconds: num(0, 86_400).optional(),
    power_threshold_w: num(0, 1_000_000).optional(),
  })
  .strict();

export const MAC_RE = /^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/;
export const mappingItem = z
  .object({
    worker: str(255),
    device: str(255).optional(),
    mac: z.string().trim().regex(MAC_RE, 'mac must look like aa:bb:cc:dd:ee:ff').optional(),
    ip: ipAddress().optional(),
    name: str(255).optional(),
    /** the miner's AxeOS (src/axeos): plain http, no user name or password */
    axeos_url: urlWith(['http'], 'a plain http:// URL like http://192.168.1.50 (AxeOS serves no HTTPS)')
      .refine((s) => !/^[a-z]+:\/\/[^/]*@/i.test(s), 'must not contain a user name or password (AxeOS has no login)')
      .optional(),
  })
  .strict()
  .refine((w) => w.device || w.mac || w.ip || w.name || w.axeos_url, 'each mapping needs device, mac, ip or name (to link an HA device), or axeos_url');

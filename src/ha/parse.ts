// What HA sends, validated: registry entries leniently (known fields typed, others passed
// through), states strictly enough to classify. A bad entry is dropped with a log line, never a
// crash.
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { EntityState, RegistrySnapshot } from './types.js';

const str = z.string().max(1024);
const deviceSchema = z.looseObject({
  id: str,
  name: str.nullable().optional().catch(null),
  name_by_user: str.nullable().optional().catch(null),
  area_id: str.nullable().optional().catch(null),
  labels: z.array(str).max(1000).optional().catch([]),
  manufacturer: str.nullable().optional().catch(null),
  model: str.nullable().optional().catch(null),
  connections: z
    .array(z.tuple([str, str]))
    .max(100)
    .optional()
    .catch([]),
  configuration_url: str.nullable().optional().catch(null),
  disabled_by: str.nullable().optional().catch(null),
  entry_type: str.nullable().optional().catch(null),
});
const entitySchema = z.looseObject({
  entity_id: z.string().regex(/^[a-z0-9_]+\.[^\s]{1,255}$/),
  device_id: str.nullable().optional().catch(null),
  area_id: str.nullable().optional().catch(null),
  labels: z.array(str).max(1000).optional().catch([]),
  disabled_by: str.nullable().optional().catch(null),
  hidden_by: str.nullable().optional().catch(null),
  entity_category: str.nullable().optional().catch(null),
  platform: str.optional().catch(undefined),
});
const areaSchema = z.looseObject({ area_id: str, name: str });
const labelSchema = z.looseObject({ label_id: str, name: str });
const stateSchema = z.looseObject({
  entity_id: z.string().min(3).max(300),
  state: z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((v) => (v === null ? 'unknown' : String(v))),
  attributes: z.record(z.string(), z.unknown()).catch({}).default({}),
  last_changed: z.string().max(64).optional().catch(undefined),
});

function validList<T>(what: string, schema: z.ZodType<T>, raw: unknown, log: Logger): T[] {
  if (!Array.isArray(raw)) {
    log.warn({ what, got: typeof raw }, `HA sent a ${what} list that is not a list; treated as empty`);
    return [];
  }
  const out: T[] = [];
  let bad = 0;
  for (const item of raw) {
    const r = schema.safeParse(item);
    if (r.success) out.push(r.data);
    else if (++bad <= 5) log.warn({ what, entry: JSON.stringify(item)?.slice(0, 200), error: r.error.issues[0]?.message }, `bad ${what} entry from HA skipped`);
  }
  if (bad > 5) log.warn({ what, skipped: bad }, `${bad} bad ${what} entries from HA skipped in all`);
  return out;
}

/** Parses one HA state (from state_changed or get_states); undefined with a log line when bad. */
export function parseState(raw: unknown, log: Logger): EntityState | undefined {
  const r = stateSchema.safeParse(raw);
  if (r.success) return r.data as EntityState;
  log.warn({ entry: JSON.stringify(raw)?.slice(0, 200), error: r.error.issues[0]?.message }, 'bad state from HA skipped');
  return undefined;
}

/** The four registry lists as HA sent them, validated. */
export function parseRegistries(raw: { devices: unknown; entities: unknown; areas: unknown; labels: unknown }, log: Logger): RegistrySnapshot {
  return {
    devices: validList('device', deviceSchema, raw.devices, log) as RegistrySnapshot['devices'],
    entities: validList('entity', entitySchema, raw.entities, log) as RegistrySnapshot['entities'],
    areas: validList('area', areaSchema, raw.areas, log),
    labels: validList('label', labelSchema, raw.labels, log),
  };
}

/** The get_states list, validated. */
export function parseStates(raw: unknown, log: Logger): EntityState[] {
  return validList('state', stateSchema, raw, log) as EntityState[];
}

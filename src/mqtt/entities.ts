// The entity model: from a MinerSnapshot to HA device-discovery configs and state payloads.
// Pure: no I/O. MqttEntities (mqtt-entities.ts) decides when to send what.
import type { HubSnapshot, MinerSnapshot, WorkerSnapshot } from './types.js';
import { PAYLOAD_AVAILABLE, PAYLOAD_NOT_AVAILABLE, topics, truncateState, workerSlug, type EntityOptions, type Topics } from './entity-base.js';
import { hubDefs, withExtras, workerDefs, type EntityDef } from './entity-defs.js';

export * from './entity-base.js';
export { EXTRA_KEY, connectionOf, derived } from './entity-defs.js';

/** Keys of the hub's command entities (the suffix of `<base>/hub/<key>/set`). */
export const COMMAND_KEYS = ['mining', 'max_threads', 'policy', 'reset_session'] as const;
export type CommandKey = (typeof COMMAND_KEYS)[number];

export interface DeviceDoc {
  /** `<prefix>/device/<object id>/config` */
  topic: string;
  /** The discovery payload as an object (components that were removed are kept as `{p}` stubs). */
  config: Record<string, unknown>;
  /** State topic -> payload. */
  states: Map<string, string>;
}

export interface Model {
  hub: DeviceDoc;
  /** Worker slug -> device doc. */
  workers: Map<string, DeviceDoc>;
}

function origin(o: EntityOptions): Record<string, unknown> {
  return { name: 'micro-mining', sw_version: o.swVersion, ...(o.supportUrl ? { support_url: o.supportUrl } : {}) };
}

function cmp<S>(
  def: EntityDef<S>,
  uniquePrefix: string,
  entityPrefix: string,
  stateTopic: string | undefined,
  commandTopic: string | undefined,
): Record<string, unknown> {
  return {
    p: def.platform,
    unique_id: `${uniquePrefix}_${def.key}`,
    default_entity_id: `${def.platform}.${entityPrefix}_${def.key}`,
    name: def.name,
    ...(stateTopic ? { state_topic: stateTopic } : {}),
    ...(commandTopic ? { command_topic: commandTopic } : {}),
    ...def.config,
  };
}

/**
 * Components that were in the previous config of this device and are gone now stay as
 * platform-only stubs (`{"p": "sensor"}`): that is how HA's device discovery removes one
 * component. Stubs carried from the previous config stay while the key is absent, so an
 * unchanged device keeps an identical payload.
 */
function withStubs(cmps: Record<string, Record<string, unknown>>, previous: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> {
  const prev = previous && typeof previous.cmps === 'object' && previous.cmps ? (previous.cmps as Record<string, unknown>) : {};
  const out = { ...cmps };
  for (const [key, c] of Object.entries(prev)) {
    if (key in out || !c || typeof c !== 'object') continue;
    const p = (c as Record<string, unknown>).p ?? (c as Record<string, unknown>).platform;
    if (typeof p === 'string') out[key] = { p };
  }
  return out;
}

function deviceConfig(o: EntityOptions, device: Record<string, unknown>, cmps: Record<string, Record<string, unknown>>, t: Topics): Record<string, unknown> {
  return {
    device,
    origin: origin(o),
    availability_topic: t.availability,
    payload_available: PAYLOAD_AVAILABLE,
    payload_not_available: PAYLOAD_NOT_AVAILABLE,
    qos: 1,
    cmps,
  };
}

export function hubDoc(h: HubSnapshot, o: EntityOptions, previous?: Record<string, unknown>): DeviceDoc {
  const t = topics(o);
  const unique = `${o.nodeId}_hub`;
  const cmps: Record<string, Record<string, unknown>> = {};
  const states = new Map<string, string>();
  for (const def of withExtras(hubDefs(h), h.extra)) {
    const stateTopic = def.state ? t.hubState(def.key) : undefined;
    // Hub: unique_id <nodeId>_hub_<key>, default entity id sensor.<nodeId>_<key> (sensor.micro_mining_hashrate).
    cmps[def.key] = cmp(def, unique, o.nodeId, stateTopic, def.command ? t.hubCommand(def.key) : undefined);
    if (stateTopic && def.state) states.set(stateTopic, def.state(h));
  }
  const device = {
    identifiers: [unique],
    name: o.hubName,
    manufacturer: 'Micro Mining',
    model: 'sha256d hub miner',
    sw_version: o.swVersion,
    ...(o.configurationUrl ? { configuration_url: o.configurationUrl } : {}),
  };
  return { topic: t.hubDevice, config: deviceConfig(o, device, withStubs(cmps, previous), t), states };
}

export function workerDoc(w: WorkerSnapshot, o: EntityOptions, previous?: Record<string, unknown>): DeviceDoc {
  const t = topics(o);
  const slug = workerSlug(w.id);
  // Worker: unique_id <nodeId>_w_<slug>_<key> (never equal to a hub id), entity id sensor.<nodeId>_<slug>_<key>.
  const uniquePrefix = `${o.nodeId}_w_${slug}`;
  const cmps: Record<string, Record<string, unknown>> = {};
  const states = new Map<string, string>();
  for (const def of withExtras(workerDefs(w), w.extra)) {
    const stateTopic = def.state ? t.workerState(slug, def.key) : undefined;
    cmps[def.key] = cmp(def, uniquePrefix, `${o.nodeId}_${slug}`, stateTopic, def.command ? t.workerCommand(slug, def.key) : undefined);
    if (stateTopic && def.state) states.set(stateTopic, def.state(w));
  }
  const linked = (w.linkedConnections?.length ?? 0) > 0 || (w.linkedIdentifiers?.length ?? 0) > 0;
  const identifiers = [uniquePrefix, ...(w.linkedIdentifiers ?? []).map(String).slice(0, 8)];
  // A linked worker joins an existing HA device: name/model are left to that device's integration.
  const device: Record<string, unknown> = linked
    ? { identifiers, ...(w.linkedConnections?.length ? { connections: w.linkedConnections.slice(0, 8).map(([a, b]) => [String(a), String(b)]) } : {}) }
    : {
        identifiers,
        name: truncateState(w.name || w.id),
        manufacturer: w.manufacturer ?? 'Micro Mining',
        model: w.model ?? 'Stratum worker',
        via_device: `${o.nodeId}_hub`,
      };
  return { topic: t.workerDevice(slug), config: deviceConfig(o, device, withStubs(cmps, previous), t), states };
}

/** Every device of a snapshot. `previous` gives the last config published per topic (for removal stubs). */
export function buildModel(s: MinerSnapshot, o: EntityOptions, previous: (topic: string) => Record<string, unknown> | undefined = () => undefined): Model {
  const t = topics(o);
  const workers = new Map<string, DeviceDoc>();
  for (const w of s.workers) {
    const slug = workerSlug(w.id);
    if (workers.has(slug)) continue; // first of duplicate ids wins
    workers.set(slug, workerDoc(w, o, previous(t.workerDevice(slug))));
  }
  return { hub: hubDoc(s.hub, o, previous(t.hubDevice)), workers };
}

/** State topics named in a discovery payload (to clear retained states of a removed device). */
export function stateTopicsOf(config: unknown): string[] {
  if (!config || typeof config !== 'object') return [];
  const cmps = (config as Record<string, unknown>).cmps ?? (config as Record<string, unknown>).components;
  if (!cmps || typeof cmps !== 'object') return [];
  const out: string[] = [];
  for (const c of Object.values(cmps as Record<string, unknown>)) {
    if (!c || typeof c !== 'object') continue;
    const st = (c as Record<string, unknown>).state_topic ?? (c as Record<string, unknown>).stat_t;
    if (typeof st === 'string' && st.length <= 256 && !/[#+]/.test(st)) out.push(st);
  }
  return out.slice(0, 64);
}

// The entity basics: options, topics, payload words, slugs and how a number becomes a state.
// Pure: no I/O (entities.ts builds the devices, entity-defs.ts says which entities they have).
import { createHash } from 'node:crypto';

export interface EntityOptions {
  /** HA discovery prefix (default `homeassistant`). */
  discoveryPrefix: string;
  /** Prefix of every unique_id, discovery object id and default entity id (default `micro_mining`). */
  nodeId: string;
  /** Root of the state/command/availability topics (default = nodeId). */
  baseTopic: string;
  /** The hub device's name (default `Micro Mining`). */
  hubName: string;
  swVersion: string;
  supportUrl?: string;
  /** What "Visit" on the hub's device page in HA opens (the app's page); none: no link. */
  configurationUrl?: string;
}

export const DEFAULT_ENTITY_OPTIONS: EntityOptions = {
  discoveryPrefix: 'homeassistant',
  nodeId: 'micro_mining',
  baseTopic: 'micro_mining',
  hubName: 'Micro Mining',
  swVersion: '0.1.0',
};

export const PAYLOAD_ON = 'ON';
export const PAYLOAD_OFF = 'OFF';
export const PAYLOAD_PRESS = 'PRESS';
export const PAYLOAD_AVAILABLE = 'online';
export const PAYLOAD_NOT_AVAILABLE = 'offline';
/** HA's MQTT sensor reads this payload as "unknown". */
export const PAYLOAD_NONE = 'None';
/** HA keeps at most 255 characters of a state. */
export const MAX_STATE_LENGTH = 255;

export type Platform = 'sensor' | 'binary_sensor' | 'switch' | 'number' | 'select' | 'button';

export interface Topics {
  availability: string;
  hubState(key: string): string;
  hubCommand(key: string): string;
  workerState(workerSlug: string, key: string): string;
  workerCommand(workerSlug: string, key: string): string;
  hubDevice: string;
  workerDevice(workerSlug: string): string;
  /** Subscription pattern matching every device config this node could have published. */
  deviceConfigPattern: string;
  /** The object id part of a device config topic when it is one of ours, else undefined. */
  ownObjectId(topic: string): string | undefined;
}

const TOPIC_SAFE = /^[a-zA-Z0-9_-]+$/;

export function validateEntityOptions(o: EntityOptions): EntityOptions {
  if (!TOPIC_SAFE.test(o.nodeId) || o.nodeId.length > 64) throw new Error(`mqtt nodeId "${o.nodeId}": use 1-64 of [a-zA-Z0-9_-]`);
  for (const [name, t] of [
    ['discoveryPrefix', o.discoveryPrefix],
    ['baseTopic', o.baseTopic],
  ] as const) {
    if (!t || t.length > 200 || /[#+\u0000]/.test(t) || t.startsWith('/') || t.endsWith('/')) {
      throw new Error(`mqtt ${name} "${t}": a topic without wildcards (#, +), not starting or ending with /`);
    }
  }
  return o;
}

export function topics(o: EntityOptions): Topics {
  const hubObject = `${o.nodeId}_hub`;
  const workerObjectPrefix = `${o.nodeId}_w_`;
  const devicePrefix = `${o.discoveryPrefix}/device/`;
  return {
    availability: `${o.baseTopic}/availability`,
    hubState: (key) => `${o.baseTopic}/hub/${key}`,
    hubCommand: (key) => `${o.baseTopic}/hub/${key}/set`,
    workerState: (slug, key) => `${o.baseTopic}/worker/${slug}/${key}`,
    workerCommand: (slug, key) => `${o.baseTopic}/worker/${slug}/${key}/set`,
    hubDevice: `${devicePrefix}${hubObject}/config`,
    workerDevice: (slug) => `${devicePrefix}${workerObjectPrefix}${slug}/config`,
    deviceConfigPattern: `${devicePrefix}+/config`,
    ownObjectId(topic) {
      if (!topic.startsWith(devicePrefix) || !topic.endsWith('/config')) return undefined;
      const id = topic.slice(devicePrefix.length, -'/config'.length);
      if (id === hubObject || (id.startsWith(workerObjectPrefix) && TOPIC_SAFE.test(id))) return id;
      return undefined;
    },
  };
}

/**
 * A worker id as a stable slug for topics and unique_ids: lower-case [a-z0-9_], at most 40
 * characters; when that changed the id, a short hash of the original keeps distinct ids distinct.
 */
export function workerSlug(id: string): string {
  const base =
    id
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'worker';
  if (base === id) return base;
  return `${base}_${createHash('sha256').update(id).digest('hex').slice(0, 6)}`;
}

/**
 * A number as a state: integers below 1e15 as they are (counters stay exact), other finite
 * numbers with up to `digits` significant digits, else `None` (unknown). Fewer digits for derived
 * figures keep them from changing (and filling the recorder) with every bit of hashrate noise.
 */
export function formatNumber(x: number | undefined | null, digits = 6): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return PAYLOAD_NONE;
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(digits)));
}

export function truncateState(s: string): string {
  return s.length > MAX_STATE_LENGTH ? `${s.slice(0, MAX_STATE_LENGTH - 1)}…` : s;
}

// What to publish so the broker holds the model of a snapshot, compared with what was published
// before (or found retained at start): only changes, unless forced (HA's birth, a reconnect).
// Pure: no I/O. MqttEntities (mqtt-entities.ts) sends the plan and records it.
import { stateTopicsOf, type DeviceDoc, type Model } from './entities.js';

/** The state topics the hub publishes, below its base topic (commands end in /set: never). */
const OWN_HUB_STATE = /^hub\/[a-z0-9_]{1,64}$/;
const OWN_WORKER_STATE = /^worker\/[a-z0-9_]{1,64}\/[a-z0-9_]{1,64}$/;

/** What is on the broker from us: device config topic -> JSON, state topic -> payload. */
export interface Published {
  readonly configs: ReadonlyMap<string, string>;
  readonly states: ReadonlyMap<string, string>;
}

export interface SyncPlan {
  /** device configs to publish (retained), before any state */
  configs: Array<[topic: string, json: string]>;
  /** device configs of devices that are gone: an empty retained payload */
  removedConfigs: string[];
  /** states to publish (retained), after the configs */
  states: Array<[topic: string, payload: string]>;
  /** states no device has any more: an empty retained payload */
  clearedStates: string[];
}

/** A published config as an object (undefined when absent or not JSON). */
export function previousConfig(published: Published, topic: string): Record<string, unknown> | undefined {
  const s = published.configs.get(topic);
  if (s === undefined) return undefined;
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The state topics a config we published (or found retained under our own naming) lists, kept
 * only where they are topics this hub publishes itself: `<baseTopic>/hub/<key>` and
 * `<baseTopic>/worker/<slug>/<key>`. A retained payload is not trusted: a fake config under our
 * naming must not make the hub clear another device's topics.
 */
export function ownStateTopics(config: Record<string, unknown> | undefined, baseTopic: string): string[] {
  const base = `${baseTopic}/`;
  return stateTopicsOf(config).filter((t) => {
    if (!t.startsWith(base)) return false;
    const rest = t.slice(base.length);
    return OWN_HUB_STATE.test(rest) || OWN_WORKER_STATE.test(rest);
  });
}

export function docsOf(model: Model): DeviceDoc[] {
  return [model.hub, ...model.workers.values()];
}

/**
 * The plan for a model: changed (or, with force, all) configs, removal of configs no longer in
 * it, then changed (or all) states, and the states that are gone cleared.
 */
export function planSync(model: Model, published: Published, baseTopic: string, force: boolean): SyncPlan {
  const plan: SyncPlan = { configs: [], removedConfigs: [], states: [], clearedStates: [] };
  const wanted = new Set<string>();
  const clear = new Set<string>();
  const docs = docsOf(model);
  for (const doc of docs) {
    wanted.add(doc.topic);
    // state topics of components this device had before (e.g. read back at start) and has no more
    for (const st of ownStateTopics(previousConfig(published, doc.topic), baseTopic)) if (!doc.states.has(st)) clear.add(st);
    const json = JSON.stringify(doc.config);
    if (force || published.configs.get(doc.topic) !== json) plan.configs.push([doc.topic, json]);
  }
  // devices published before (this run, or a previous one found retained) and no longer here
  for (const topic of published.configs.keys()) {
    if (wanted.has(topic)) continue;
    for (const st of ownStateTopics(previousConfig(published, topic), baseTopic)) clear.add(st);
    plan.removedConfigs.push(topic);
  }
  const states = new Map<string, string>();
  for (const doc of docs) for (const [t, p] of doc.states) states.set(t, p);
  for (const [t, p] of states) {
    clear.delete(t);
    if (force || published.states.get(t) !== p) plan.states.push([t, p]);
  }
  for (const t of published.states.keys()) if (!states.has(t)) clear.add(t);
  plan.clearedStates = [...clear];
  return plan;
}

// Which HA devices are appliances: the one table of default rules (docs/appliances.md explains
// it) and the pure functions that apply it to an entity. An appliance is a device that does work
// and draws power; a device with none of the evidence below is left out (and counted as ignored),
// unless it is a worker (the hub, a linked computer or miner) or an override gives it a role.
import type { EntityEntry, EntityState } from './types.js';
import { DEFAULT_BUSY_STATES, DEFAULT_IDLE_STATES } from './rules.js';

/** The kinds of evidence that make a device an appliance. */
export type EvidenceKind = 'power' | 'working-domain' | 'status' | 'working-class' | 'light';

export interface Evidence {
  kind: EvidenceKind;
  entity: string;
  /** Why, in words a person reads: "sensor.washer_power measures power". */
  why: string;
}

/**
 * The default rules, in one place. Each entry says what a domain (or device class) is to the
 * appliance model and why; docs/appliances.md prints the same table.
 */
export const APPLIANCE_RULES = {
  /** Domains whose entities do work: a device with one of them is an appliance. */
  workingDomains: {
    media_player: 'plays media',
    vacuum: 'cleans',
    lawn_mower: 'mows',
    climate: 'heats or cools',
    water_heater: 'heats water',
    humidifier: 'humidifies',
    fan: 'moves air',
    switch: 'switches a load',
    remote: 'controls a media device',
  } as Record<string, string>,
  /** Sensor device classes that measure what a device draws. */
  powerSensorClasses: ['power', 'energy'] as string[],
  /** Units of such sensors, for sensors without a device class. */
  powerUnits: ['W', 'kW', 'MW', 'mW', 'Wh', 'kWh', 'MWh'] as string[],
  /** binary_sensor device classes that say a device is working. */
  workingBinaryClasses: ['running', 'power', 'plug', 'battery_charging'] as string[],
  /**
   * A binary_sensor without a device class says the device works when its id or name says so
   * (`binary_sensor.office_pc_in_use`, "Dishwasher running").
   */
  workingWords: /(^|[_\s.])(in[_\s]?use|running|active|busy|working|printing|charging)($|[_\s])/i,
  /**
   * Words of an appliance's status sensor (washer, dryer, dishwasher, printer, EV charger
   * programs): a sensor whose state or enum options include one of them is a status sensor.
   */
  statusWords: [...new Set([...(DEFAULT_IDLE_STATES.sensor ?? []), ...(DEFAULT_BUSY_STATES.sensor ?? [])])].filter((w) => w !== 'on' && w !== 'off'),
  /** Domains that never make a device an appliance, with the reason shown for ignored devices. */
  notAppliances: {
    light: 'a light (add lights with the include_lights option)',
    cover: 'a cover (blind, door, gate)',
    binary_sensor: 'a sensor of the environment or security',
    sensor: 'a measurement, not a load',
    input_text: 'an input',
    input_number: 'an input',
    input_select: 'an input',
    input_boolean: 'an input',
    input_datetime: 'an input',
    text: 'an input',
    number: 'a setting',
    select: 'a setting',
    date: 'a date',
    time: 'a time',
    datetime: 'a date and time',
    button: 'a button',
    notify: 'a notifier',
    update: 'an update entity',
    weather: 'a weather service',
    sun: 'the sun',
    event: 'an event entity',
    scene: 'a scene',
    script: 'a script',
    automation: 'an automation',
    device_tracker: 'a presence tracker',
    person: 'a person',
    lock: 'a lock',
    siren: 'a siren',
    alarm_control_panel: 'an alarm panel',
    camera: 'a camera',
    image: 'an image',
    valve: 'a valve',
  } as Record<string, string>,
} as const;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function domainOfEntity(entityId: string): string {
  const i = entityId.indexOf('.');
  return i > 0 ? entityId.slice(0, i) : '';
}

/** The device class of an entity: the state's attribute first, then the registry entry. */
export function deviceClassOf(entry: EntityEntry | undefined, state: EntityState | undefined): string | undefined {
  return str(state?.attributes?.device_class) ?? entry?.device_class ?? entry?.original_device_class ?? undefined;
}

export interface EvidenceOptions {
  /** Lights count as appliances (off by default). */
  includeLights?: boolean;
}

/** What one entity says about its device being an appliance (pure); null: nothing. */
export function applianceEvidence(
  entityId: string,
  entry: EntityEntry | undefined,
  state: EntityState | undefined,
  opts: EvidenceOptions = {},
): Evidence | null {
  const domain = domainOfEntity(entityId);
  const dc = deviceClassOf(entry, state);
  const working = APPLIANCE_RULES.workingDomains[domain];
  if (working) return { kind: 'working-domain', entity: entityId, why: `${entityId} ${working}` };
  if (domain === 'light') return opts.includeLights ? { kind: 'light', entity: entityId, why: `${entityId} is a light (lights included)` } : null;
  if (domain === 'sensor') {
    const unit = str(state?.attributes?.unit_of_measurement);
    if ((dc && APPLIANCE_RULES.powerSensorClasses.includes(dc)) || (!dc && unit && APPLIANCE_RULES.powerUnits.includes(unit))) {
      return { kind: 'power', entity: entityId, why: `${entityId} measures ${dc === 'energy' || unit?.endsWith('Wh') ? 'energy' : 'power'}` };
    }
    if (isStatusSensor(state)) return { kind: 'status', entity: entityId, why: `${entityId} reports a working status` };
    return null;
  }
  if (domain === 'binary_sensor') {
    if (dc && APPLIANCE_RULES.workingBinaryClasses.includes(dc))
      return { kind: 'working-class', entity: entityId, why: `${entityId} says whether it is ${dc.replace('_', ' ')}` };
    if (!dc && saysWorking(entityId, state)) return { kind: 'working-class', entity: entityId, why: `${entityId} says whether it is in use` };
    return null;
  }
  return null;
}

function saysWorking(entityId: string, state: EntityState | undefined): boolean {
  const name = str(state?.attributes?.friendly_name) ?? '';
  return APPLIANCE_RULES.workingWords.test(entityId.slice(entityId.indexOf('.') + 1)) || APPLIANCE_RULES.workingWords.test(name);
}

/** An appliance status sensor: an enum (or text) sensor whose options or state are status words. */
export function isStatusSensor(state: EntityState | undefined): boolean {
  if (!state || domainOfEntity(state.entity_id) !== 'sensor') return false;
  const dc = str(state.attributes?.device_class);
  if (dc && dc !== 'enum') return false;
  if (str(state.attributes?.unit_of_measurement)) return false;
  const words = APPLIANCE_RULES.statusWords;
  const options = state.attributes?.options;
  if (Array.isArray(options) && options.some((o) => typeof o === 'string' && words.includes(o.toLowerCase()))) return true;
  return typeof state.state === 'string' && words.includes(state.state.toLowerCase());
}

/**
 * Whether an entity may vote idle/busy for an appliance: binary sensors only of a working class
 * (or without a class: when their name says in use, or on a worker, a computer whose own sensors
 * say whether someone uses it), lights only when included. Other domains follow the idle rules.
 */
export function entityVotes(
  entityId: string,
  entry: EntityEntry | undefined,
  state: EntityState | undefined,
  opts: EvidenceOptions & { worker?: boolean } = {},
): boolean {
  const domain = domainOfEntity(entityId);
  if (domain === 'light') return !!opts.includeLights;
  if (domain === 'binary_sensor') {
    const dc = deviceClassOf(entry, state);
    if (dc) return APPLIANCE_RULES.workingBinaryClasses.includes(dc);
    return !!opts.worker || saysWorking(entityId, state);
  }
  return true;
}

/** Why a device with these entities is not an appliance, in words a person reads. */
export function ignoredReason(entityIds: string[]): string {
  if (entityIds.length === 0) return 'no usable entities';
  const kinds = new Set<string>();
  for (const id of entityIds) {
    const d = domainOfEntity(id);
    kinds.add(APPLIANCE_RULES.notAppliances[d] ?? `a ${d} entity`);
  }
  return `no power sensor, working entity or status sensor (${[...kinds].slice(0, 3).join('; ')})`;
}

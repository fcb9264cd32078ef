// The appliance model and the events of src/ha (public types; see index.ts).

/** What an appliance is to the miner. */
export type ApplianceRole = 'worker' | 'load';

/** Idle, busy, or not known (unknown/unavailable states are never idle). */
export type ApplianceStatus = 'idle' | 'busy' | 'unknown';

/** One HA device registry entry, as far as this part reads it. */
export interface DeviceEntry {
  id: string;
  name: string | null;
  name_by_user?: string | null;
  area_id?: string | null;
  labels?: string[];
  manufacturer?: string | null;
  model?: string | null;
  connections?: [string, string][];
  configuration_url?: string | null;
  disabled_by?: string | null;
  entry_type?: string | null;
}

/** One HA entity registry entry, as far as this part reads it. */
export interface EntityEntry {
  entity_id: string;
  device_id?: string | null;
  area_id?: string | null;
  labels?: string[];
  disabled_by?: string | null;
  hidden_by?: string | null;
  entity_category?: string | null;
  platform?: string;
  /** The device class set by the user, and the integration's own. */
  device_class?: string | null;
  original_device_class?: string | null;
}

export interface AreaEntry {
  area_id: string;
  name: string;
}

export interface LabelEntry {
  label_id: string;
  name: string;
}

/** An entity's state as HA reports it (the `new_state` of state_changed, or get_states). */
export interface EntityState {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
  last_changed?: string;
}

/** The registries read from HA. */
export interface RegistrySnapshot {
  devices: DeviceEntry[];
  entities: EntityEntry[];
  areas: AreaEntry[];
  labels: LabelEntry[];
}

/** An appliance: an HA device and its entities, with its role and current verdict. */
export interface Appliance {
  /** HA device id (or `hub` for the hub itself when it has no HA device). */
  id: string;
  name: string;
  areaId: string | null;
  area: string | null;
  /** Label ids of the device. */
  labels: string[];
  manufacturer: string | null;
  model: string | null;
  roles: ApplianceRole[];
  /** For worker appliances: the worker (Stratum client, or `hub`) it is linked to. */
  workerId?: string;
  workerMatchedBy?: 'mapping' | 'mac' | 'ip' | 'name' | 'hub';
  /** Entities that count for idle/busy (enabled, not diagnostic/config, not ignored). */
  entities: string[];
  /** Power sensors (W) among them. */
  powerEntities: string[];
  status: ApplianceStatus;
  /** When the current status began (ms since epoch). */
  since: number;
  /** Sum of the power sensors, W, when all of them read a number. */
  watts: number | null;
  /** Why the appliance has its status, e.g. `media_player.tv=off` or `sensor.plug_power=1200W>=5W`. */
  reason: string;
  /** Why the device counts as an appliance, e.g. `sensor.washer_power measures power`. */
  why?: string;
}

/** A device that is not an appliance, and why (for the status page's "left out" count). */
export interface IgnoredDevice {
  id: string;
  name: string;
  area: string | null;
  reason: string;
}

export type ApplianceEvent =
  | { type: 'idle'; applianceId: string; name: string; at: number; since: number; reason: string }
  | { type: 'busy'; applianceId: string; name: string; at: number; status: 'busy' | 'unknown'; reason: string }
  | { type: 'gone'; applianceId: string; name: string; at: number }
  | { type: 'power'; applianceId: string; name: string; at: number; watts: number }
  | { type: 'budget'; at: number; budget: PowerBudget };

/** Optional power-budget inputs for the policy (null = not configured or not readable). */
export interface PowerBudget {
  /** Surplus power available (W, positive = export / solar surplus). */
  surplusW: number | null;
  /** A static budget (W) from the configuration. */
  staticW: number | null;
  /** Electricity price (in the sensor's unit, e.g. EUR/kWh). */
  price: number | null;
  priceUnit: string | null;
}

/** Which entity, device, area or label an override applies to (ids or names). */
export interface OverrideMatch {
  entity?: string;
  device?: string;
  area?: string;
  label?: string;
}

export interface IdleOverride {
  match: OverrideMatch;
  /** Leave out of idle detection (an entity) or of the appliance set (a device/area/label). */
  ignore?: boolean;
  holdSeconds?: number;
  powerThresholdW?: number;
  /** States that count as idle (replaces the domain default). */
  idleStates?: string[];
  /** Force a role. */
  role?: ApplianceRole | 'none';
  /** Force the verdict regardless of states. */
  force?: 'idle' | 'busy';
}

/** An explicit link of a worker (e.g. a Stratum client name) to an HA device. */
export interface WorkerMapping {
  workerId: string;
  deviceId?: string;
  mac?: string;
  ip?: string;
  name?: string;
}

export interface IdleRules {
  /** Lights count as appliances (default false). */
  includeLights?: boolean;
  /** How long an idle verdict must hold before the appliance counts as idle. */
  holdSeconds: number;
  /** Power sensors below this many watts say idle. */
  powerThresholdW: number;
  /** Idle states per domain (defaults: DEFAULT_IDLE_STATES). */
  idleStates: Record<string, string[]>;
  /** A computer's idle-time sensor at or above this many seconds says idle. */
  idleTimeSeconds: number;
  overrides: IdleOverride[];
  workers: WorkerMapping[];
  hub: {
    /** An HA sensor with the hub's CPU use in % (else the app feeds hubLoad()). */
    loadEntity?: string;
    /** The hub counts as busy (mining yields) above this CPU use by others, %. */
    maxLoadPercent: number;
    /** The hub's own HA device, when there is one (else a device-less `hub` appliance). */
    deviceId?: string;
  };
  budget: {
    /** Grid export / solar surplus sensor (W or kW). */
    surplusEntity?: string;
    /** The surplus sensor reports export as negative (grid meters often do). */
    surplusInverted?: boolean;
    staticWatts?: number;
    priceEntity?: string;
  };
}

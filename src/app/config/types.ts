// The effective configuration: the one object the hub uses, built by ./load.ts and ./resolve.ts.
import type { ConfigKey } from './fields.js';
import type { QuietHours } from './values.js';

export interface IdleOverrideSetting {
  match: { entity?: string; device?: string; area?: string; label?: string };
  ignore?: boolean;
  force?: 'idle' | 'busy';
  role?: 'load';
  holdSeconds?: number;
  powerThresholdW?: number;
}

export interface WorkerMappingSetting {
  workerId: string;
  deviceId?: string;
  mac?: string;
  ip?: string;
  name?: string;
}

export interface Config {
  /** the add-on's defaults apply */
  addon: boolean;
  configFile: string | null;
  dataDir: string;
  /** practice job source (earns nothing) instead of a pool */
  practice: boolean;
  /** share difficulty of practice jobs */
  practiceDifficulty: number;
  pool: { url: string; user: string; password: string; fallbackUrl: string | null } | null;
  /** the user's own node as the job source (solo); null: none */
  node: { url: string; cookieFile: string | null; payoutAddress: string } | null;
  threads: number;
  /** cores kept free for Home Assistant (--headroom); null: the flow's policy decides (default 1) */
  headroom: number | null;
  kernel: 'auto' | 'js' | 'wasm' | 'native';
  policy: 'always' | 'idle_only' | 'surplus';
  power: {
    sensor: string | null;
    sensorInverted: boolean;
    /** the power target (src/app/hub/parts/power.ts): off, the HA number, a sensor, or the surplus sensor; absent: off */
    target?: { mode: 'off' | 'number' | 'sensor' | 'surplus'; sensor: string | null };
    budgetW: number | null;
    stagesW: number[];
    priceSensor: string | null;
    priceCeiling: number | null;
  };
  quietHours: QuietHours[];
  /** miners and workers on the endpoint: declared power (W by worker name), minimum on/off time of their HA switch (s) */
  miners: {
    powerW: Record<string, number>;
    switchMinOnS: number;
    switchMinOffS: number /** worker -> its AxeOS URL (worker_mappings' axeos_url, src/axeos) */;
    axeosUrls?: Record<string, string>;
  };
  idle: {
    holdSeconds: number;
    powerThresholdW: number;
    hubMaxLoadPercent: number;
    /** lights count as appliances */
    includeLights: boolean;
    overrides: IdleOverrideSetting[];
    workers: WorkerMappingSetting[];
  };
  stratum: {
    enabled: boolean;
    port: number;
    bind: string;
    password: string | null;
    shareIntervalS: number;
    maxMiners: number;
    /** distinct worker names (HA devices once they have a share) at most */
    maxWorkerDevices: number;
  };
  /** url null with mode embedded: an embedded aedes broker */
  mqtt: {
    mode: 'external' | 'embedded' | 'off';
    url: string | null;
    username: string | null;
    password: string | null;
    discoveryPrefix: string;
    haStatusTopic: string;
  };
  /** null: run without Home Assistant */
  ha: { url: string; token: string } | null;
  /** hosts: names the editor answers to besides loopback and its own addresses */
  nodeRed: { enabled: boolean; port: number; username: string | null; password: string | null; hosts: string[] };
  /** the MQTT bridge's shared key; null: the bridge is off */
  bridgeKey: string | null;
  /** status page; allow: addresses allowed to connect (empty: any) */
  status: { port: number; bind: string; allow: string[] };
  /** browser worker pages may hash on their GPU (WebGPU) */
  workerPageGpu: boolean;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Node heap limit in MB; 0 = Node's default */
  heapMb: number;
  /** where each given setting came from (key -> "--flag", "MM_X" or "file.yaml") */
  sources: Partial<Record<ConfigKey, string>>;
  /** things that are allowed but probably not meant (printed by check-config, logged by start) */
  warnings: string[];
}

export const SUPERVISOR_INGRESS_IP = '172.30.32.2';
export const ADDON_HA_URL = 'ws://supervisor/core/websocket';
export const ADDON_DATA_DIR = '/data';
export const ADDON_OPTIONS_FILE = '/data/options.json';

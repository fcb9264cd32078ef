// The one configuration object of the hub: defaults, a configuration file (YAML or JSON; the
// add-on passes /data/options.json), environment variables (MM_ + upper-case flag name) and
// flags, merged (flags win over environment, environment over file) and validated once, with
// messages that name the field, where its value came from, and the fix.
//
// One name per setting everywhere: the flag `--pool-user`, the environment variable
// `MM_POOL_USER` and the key `pool_user` in the configuration file and in the add-on options.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/index.js';

// ---------------------------------------------------------------------------------------------
// The settings table

type Kind = 'string' | 'int' | 'number' | 'bool' | 'json';

interface Field {
  /** flag and environment name (without `--` / `MM_`), e.g. pool-user */
  flag: string;
  kind: Kind;
  /** value is masked when printed */
  secret?: boolean;
  /** one line for --help: argument name and meaning */
  arg?: string;
  help: string;
  /** how to fix a bad value */
  fix: string;
  /** a `--no-<flag>` switch sets this key to false */
  negatable?: boolean;
  /** flag-only (no environment variable, no file key) */
  flagOnly?: boolean;
}

const ENTITY_RE = /^[a-z_]+\.[a-z0-9_]+$/;
const ENTITY_FIX = 'give an entity id like sensor.grid_export (Settings > Entities in Home Assistant shows it)';

/** Every setting, by its file/option key. Flags are the key with `-` for `_`. */
export const FIELDS = {
  config: { flag: 'config', kind: 'string', flagOnly: true, arg: 'FILE', help: 'configuration file (YAML or JSON); the add-on passes /data/options.json', fix: 'give the path of a readable YAML or JSON file' },
  addon: { flag: 'addon', kind: 'bool', help: 'add-on defaults (data in /data, endpoint on 0.0.0.0, Supervisor websocket); set by the add-on', fix: 'use true or false' },
  data_dir: { flag: 'data-dir', kind: 'string', arg: 'DIR', help: 'persisted state (lifetime totals, Node-RED user dir); default /data in the add-on, else ~/.local/share/micro-mining', fix: 'give a folder path' },
  practice: { flag: 'practice', kind: 'bool', negatable: true, help: 'practice job source (no network, earns nothing); on when no pool is given', fix: 'use true or false' },
  pool: { flag: 'pool', kind: 'string', arg: 'URL', help: 'upstream Stratum pool, stratum+tcp://host:port or stratum+ssl://host:port', fix: 'give a URL like stratum+tcp://pool.example.com:3333' },
  pool_user: { flag: 'pool-user', kind: 'string', arg: 'U', help: 'pool user: your payout address or account, often with .worker', fix: 'give the user the pool told you to use (often bc1…address.worker)' },
  pool_password: { flag: 'pool-password', kind: 'string', secret: true, arg: 'P', help: 'pool password (most pools take x)', fix: 'give the pool password, or x' },
  fallback_pool: { flag: 'fallback-pool', kind: 'string', arg: 'URL', help: 'second pool used when the first is unreachable', fix: 'give a URL like stratum+tcp://pool2.example.com:3333' },
  threads: { flag: 'threads', kind: 'int', arg: 'N', help: 'maximum hub threads (0 = the hub does not hash); default cores - 1', fix: 'give a whole number from 0 to the number of cores' },
  kernel: { flag: 'kernel', kind: 'string', arg: 'K', help: 'hashing kernel: auto, js, wasm or native', fix: 'use auto, js, wasm or native' },
  policy: { flag: 'policy', kind: 'string', arg: 'P', help: 'mining policy: always, idle_only or surplus', fix: 'use always, idle_only or surplus' },
  power_sensor: { flag: 'power-sensor', kind: 'string', arg: 'ENTITY', help: 'grid export / solar surplus sensor (W or kW) for the surplus policy', fix: ENTITY_FIX },
  power_sensor_inverted: { flag: 'power-sensor-inverted', kind: 'bool', help: 'the power sensor reports export as negative (many grid meters do)', fix: 'use true or false' },
  power_budget: { flag: 'power-budget', kind: 'number', arg: 'W', help: 'static power budget in W (used when no sensor is given, or as a cap)', fix: 'give watts, a number from 0 to 1000000' },
  power_stages: { flag: 'power-stages', kind: 'json', arg: 'W,W,…', help: 'power stages in W that mining follows, e.g. 500,1000,1500', fix: 'give increasing watts separated by commas, e.g. 500,1000,1500' },
  price_sensor: { flag: 'price-sensor', kind: 'string', arg: 'ENTITY', help: 'electricity price sensor', fix: ENTITY_FIX.replace('sensor.grid_export', 'sensor.electricity_price') },
  price_ceiling: { flag: 'price-ceiling', kind: 'number', arg: 'PRICE', help: 'no mining while the price sensor reads above this', fix: 'give a number in the unit of the price sensor, e.g. 0.25' },
  quiet_hours: { flag: 'quiet-hours', kind: 'string', arg: 'HH:MM-HH:MM', help: 'no mining in these hours (local time), e.g. 22:00-07:00; several with commas', fix: 'give ranges like 22:00-07:00 or 12:00-13:30,22:00-06:00' },
  hub_max_load: { flag: 'hub-max-load', kind: 'number', arg: '%', help: 'the hub yields when other programs use more than this much CPU (%)', fix: 'give a percentage from 1 to 100' },
  idle_hold: { flag: 'idle-hold', kind: 'number', arg: 'S', help: 'seconds an appliance must look idle before it counts as idle', fix: 'give seconds from 0 to 86400' },
  idle_power_threshold: { flag: 'idle-power-threshold', kind: 'number', arg: 'W', help: 'power sensors below this many W say idle', fix: 'give watts from 0 to 1000000' },
  idle_overrides: { flag: 'idle-overrides', kind: 'json', arg: 'JSON', help: 'per device/entity/area/label rules: [{"match_type":"area","match":"Kitchen","state":"ignore"}]', fix: 'give a list of {match_type: entity|device|area|label, match, state: auto|idle|busy|ignore, hold_seconds, power_threshold_w}' },
  worker_mappings: { flag: 'worker-mappings', kind: 'json', arg: 'JSON', help: 'link miners to HA devices: [{"worker":"kitchen-nerdminer","device":"<device id or name>"}]', fix: 'give a list of {worker, device | mac | ip | name}' },
  stratum: { flag: 'stratum', kind: 'bool', negatable: true, help: 'local Stratum endpoint for household miners (--no-stratum: off)', fix: 'use true or false' },
  stratum_port: { flag: 'stratum-port', kind: 'int', arg: 'P', help: 'port of the local Stratum endpoint (default 3333)', fix: 'give a port from 1 to 65535 (0: any free port)' },
  stratum_bind: { flag: 'stratum-bind', kind: 'string', arg: 'ADDR', help: 'address the endpoint listens on; 0.0.0.0 in the add-on, 127.0.0.1 standalone', fix: 'give an IP address, e.g. 0.0.0.0 (all networks) or 127.0.0.1 (this machine only)' },
  stratum_password: { flag: 'stratum-password', kind: 'string', secret: true, arg: 'P', help: 'password household miners must use (none: any)', fix: 'give a password of 1 to 128 characters' },
  share_interval: { flag: 'share-interval', kind: 'number', arg: 'S', help: 'seconds between shares that each miner\'s difficulty aims at (default 10)', fix: 'give seconds from 1 to 3600' },
  max_miners: { flag: 'max-miners', kind: 'int', arg: 'N', help: 'most household miner connections (default 1024)', fix: 'give a whole number from 1 to 100000' },
  mqtt: { flag: 'mqtt', kind: 'string', negatable: true, arg: 'URL', help: 'MQTT broker URL (mqtt://host:1883); none: an embedded broker; --no-mqtt: no MQTT', fix: 'give a URL like mqtt://core-mosquitto:1883, or off' },
  mqtt_username: { flag: 'mqtt-username', kind: 'string', arg: 'U', help: 'MQTT user name', fix: 'give the broker user name' },
  mqtt_password: { flag: 'mqtt-password', kind: 'string', secret: true, arg: 'P', help: 'MQTT password', fix: 'give the broker password' },
  discovery_prefix: { flag: 'discovery-prefix', kind: 'string', arg: 'T', help: 'MQTT discovery prefix (default homeassistant)', fix: 'give a topic without wildcards, e.g. homeassistant' },
  ha_status_topic: { flag: 'ha-status-topic', kind: 'string', arg: 'T', help: 'topic where HA announces it is online (default homeassistant/status)', fix: 'give a topic without wildcards, e.g. homeassistant/status' },
  ha_url: { flag: 'ha-url', kind: 'string', arg: 'URL', help: 'Home Assistant URL (http://homeassistant.local:8123); the add-on uses the Supervisor', fix: 'give a URL like http://homeassistant.local:8123' },
  ha_token: { flag: 'ha-token', kind: 'string', secret: true, arg: 'T', help: 'long-lived access token (HA profile page > Security)', fix: 'create a long-lived access token on your HA profile page and give it here' },
  node_red: { flag: 'node-red', kind: 'bool', negatable: true, help: 'embedded Node-RED editor and runtime (--no-node-red: off; the default flow\'s schedule runs without an editor)', fix: 'use true or false' },
  node_red_port: { flag: 'node-red-port', kind: 'int', arg: 'P', help: 'port of the Node-RED editor standalone (default 1880)', fix: 'give a port from 1 to 65535 (0: any free port)' },
  node_red_username: { flag: 'node-red-username', kind: 'string', arg: 'U', help: 'Node-RED editor user (with --node-red-password)', fix: 'give a user name, and a password with node_red_password' },
  node_red_password: { flag: 'node-red-password', kind: 'string', secret: true, arg: 'P', help: 'Node-RED editor password', fix: 'give a password of 8 or more characters, and a user with node_red_username' },
  status_port: { flag: 'status-port', kind: 'int', arg: 'P', help: 'status page and health endpoint (default 8099, the add-on\'s ingress port)', fix: 'give a port from 1 to 65535 (0: any free port)' },
  status_bind: { flag: 'status-bind', kind: 'string', arg: 'ADDR', help: 'address of the status page; 0.0.0.0 in the add-on (ingress only), 127.0.0.1 standalone', fix: 'give an IP address, e.g. 127.0.0.1' },
  log_level: { flag: 'log-level', kind: 'string', arg: 'L', help: 'log level: trace, debug, info, warn, error, fatal or silent', fix: 'use trace, debug, info, warn, error, fatal or silent' },
  heap_mb: { flag: 'heap-mb', kind: 'int', arg: 'MB', help: 'Node heap limit in MB (0: Node\'s default; the add-on default is 512)', fix: 'give 0, or megabytes from 64 to 16384' },
} satisfies Record<string, Field>;

export type ConfigKey = keyof typeof FIELDS;
const KEYS = Object.keys(FIELDS) as ConfigKey[];
const FIELD: Record<ConfigKey, Field> = FIELDS;

// ---------------------------------------------------------------------------------------------
// The effective configuration

export interface QuietHours {
  /** minutes after midnight, local time */
  start: number;
  end: number;
  text: string;
}

export interface IdleOverrideSetting {
  match: { entity?: string; device?: string; area?: string; label?: string };
  ignore?: boolean;
  force?: 'idle' | 'busy';
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
  pool: { url: string; user: string; password: string; fallbackUrl: string | null } | null;
  threads: number;
  kernel: 'auto' | 'js' | 'wasm' | 'native';
  policy: 'always' | 'idle_only' | 'surplus';
  power: {
    sensor: string | null;
    sensorInverted: boolean;
    budgetW: number | null;
    stagesW: number[];
    priceSensor: string | null;
    priceCeiling: number | null;
  };
  quietHours: QuietHours[];
  idle: {
    holdSeconds: number;
    powerThresholdW: number;
    hubMaxLoadPercent: number;
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
  nodeRed: { enabled: boolean; port: number; username: string | null; password: string | null };
  /** status page; allow: addresses allowed to connect (empty: any) */
  status: { port: number; bind: string; allow: string[] };
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

// ---------------------------------------------------------------------------------------------
// Value parsing (strings from flags and environment, typed values from files)

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

function toBool(v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
  }
  return v;
}

function toNumber(v: unknown): unknown {
  if (typeof v === 'string' && v.trim() !== '') {
    const s = v.trim();
    const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : Number(s);
    return Number.isFinite(n) ? n : v;
  }
  return v;
}

function toJson(v: unknown): unknown {
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

const str = (max = 512) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const num = (min: number, max: number) =>
  z.preprocess(toNumber, z.number({ error: 'must be a number' }).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const int = (min: number, max: number) =>
  z.preprocess(toNumber, z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const bool = () => z.preprocess(toBool, z.boolean({ error: 'must be true or false' }));
const entity = () => z.string().trim().regex(ENTITY_RE, 'must be an entity id like sensor.grid_export');
const port = () => int(0, 65535);
const ipAddress = () => z.string().trim().refine((s) => isIP(s) !== 0, 'must be an IP address like 0.0.0.0 or 127.0.0.1');
const topic = () => str(200).refine((s) => !/[#+\u0000]/.test(s), 'must not contain # or + (a plain topic)');

function urlWith(schemes: string[], what: string) {
  return str(2048).refine((s) => {
    try {
      const u = new URL(s);
      return schemes.includes(u.protocol.replace(/:$/, '').toLowerCase()) && u.hostname !== '';
    } catch {
      return false;
    }
  }, `must be ${what}`);
}

const POOL_SCHEMES = ['stratum+tcp', 'stratum+ssl', 'stratum+tls', 'stratum', 'tcp', 'ssl', 'tls'];
const poolUrl = () =>
  urlWith(POOL_SCHEMES, 'a Stratum URL like stratum+tcp://host:port or stratum+ssl://host:port').refine((s) => {
    const p = new URL(s).port;
    return p !== '' && Number(p) >= 1 && Number(p) <= 65535;
  }, 'needs a port, e.g. stratum+tcp://pool.example.com:3333');

const QUIET_RE = /^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$/;

function parseQuietHours(s: string): QuietHours[] {
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

const quietHours = () =>
  z.preprocess(
    (v) => (Array.isArray(v) ? v.join(',') : v),
    z.string().trim().max(500).superRefine((s, ctx) => {
      try {
        parseQuietHours(s);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  );

const powerStages = () =>
  z.preprocess(
    (v) => (typeof v === 'string' && !v.trim().startsWith('[') ? v.split(',').map((x) => x.trim()).filter(Boolean).map(toNumber) : toJson(v)),
    z
      .array(z.number({ error: 'each stage must be a number of watts' }).positive('each stage must be more than 0 W').max(1_000_000), { error: 'must be a list of watts' })
      .max(20, 'at most 20 stages')
      .refine((a) => a.every((x, i) => i === 0 || x > a[i - 1]), 'stages must increase, e.g. 500,1000,1500'),
  );

const overrideItem = z
  .object({
    match_type: z.enum(['entity', 'device', 'area', 'label'], { error: 'match_type must be entity, device, area or label' }),
    match: str(255),
    state: z.enum(['auto', 'idle', 'busy', 'ignore'], { error: 'state must be auto, idle, busy or ignore' }).optional(),
    hold_seconds: num(0, 86_400).optional(),
    power_threshold_w: num(0, 1_000_000).optional(),
  })
  .strict();

const MAC_RE = /^[0-9a-fA-F]{2}([:-]?[0-9a-fA-F]{2}){5}$/;
const mappingItem = z
  .object({
    worker: str(255),
    device: str(255).optional(),
    mac: z.string().trim().regex(MAC_RE, 'mac must look like aa:bb:cc:dd:ee:ff').optional(),
    ip: ipAddress().optional(),
    name: str(255).optional(),
  })
  .strict()
  .refine((w) => w.device || w.mac || w.ip || w.name, 'each mapping needs device, mac, ip or name');

/** The schema of the merged raw settings (file keys); `cores` bounds threads. */
export function settingsSchema(cores: number) {
  return z
    .object({
      config: str(4096),
      addon: bool(),
      data_dir: str(4096),
      practice: bool(),
      pool: poolUrl(),
      pool_user: str(512),
      pool_password: z.string().max(512, 'must be at most 512 characters'),
      fallback_pool: poolUrl(),
      threads: int(0, cores),
      kernel: z.enum(['auto', 'js', 'wasm', 'native'], { error: 'must be auto, js, wasm or native' }),
      policy: z.enum(['always', 'idle_only', 'surplus'], { error: 'must be always, idle_only or surplus' }),
      power_sensor: entity(),
      power_sensor_inverted: bool(),
      power_budget: num(0, 1_000_000),
      power_stages: powerStages(),
      price_sensor: entity(),
      price_ceiling: num(-1_000_000, 1_000_000),
      quiet_hours: quietHours(),
      hub_max_load: num(1, 100),
      idle_hold: num(0, 86_400),
      idle_power_threshold: num(0, 1_000_000),
      idle_overrides: z.preprocess(toJson, z.array(overrideItem, { error: 'must be a list' }).max(1000, 'at most 1000 rules')),
      worker_mappings: z.preprocess(toJson, z.array(mappingItem, { error: 'must be a list' }).max(1000, 'at most 1000 mappings')),
      stratum: bool(),
      stratum_port: port(),
      stratum_bind: ipAddress(),
      stratum_password: str(128),
      share_interval: num(1, 3600),
      max_miners: int(1, 100_000),
      mqtt: z.union([z.literal(false), z.literal('off'), urlWith(['mqtt', 'mqtts', 'tcp', 'ssl', 'tls', 'ws', 'wss'], 'a broker URL like mqtt://host:1883, or off')]),
      mqtt_username: str(512),
      mqtt_password: z.string().max(512, 'must be at most 512 characters'),
      discovery_prefix: topic(),
      ha_status_topic: topic(),
      ha_url: urlWith(['http', 'https', 'ws', 'wss'], 'a URL like http://homeassistant.local:8123'),
      ha_token: str(4096),
      node_red: bool(),
      node_red_port: port(),
      node_red_username: str(255),
      node_red_password: z.string().min(8, 'must be at least 8 characters').max(255, 'must be at most 255 characters'),
      status_port: port(),
      status_bind: ipAddress(),
      log_level: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: 'must be trace, debug, info, warn, error, fatal or silent' })),
      heap_mb: int(0, 16_384).refine((n) => n === 0 || n >= 64, 'must be 0 (Node\'s default) or at least 64'),
    })
    .partial();
}

export type Settings = z.output<ReturnType<typeof settingsSchema>>;

// ---------------------------------------------------------------------------------------------
// Sources

export interface FlagValues {
  values: Partial<Record<ConfigKey, string | boolean>>;
  help: boolean;
}

const flagOptions = () => {
  const opts: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const k of KEYS) {
    const f = FIELD[k];
    opts[f.flag] = { type: f.kind === 'bool' ? 'boolean' : 'string' };
    if (f.negatable) opts[`no-${f.flag}`] = { type: 'boolean' };
  }
  return opts;
};

/** Parses `start`/`check-config` flags into file keys (`--pool-user X` -> pool_user: "X"). */
export function parseFlags(argv: string[]): FlagValues {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: flagOptions(), strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code?.startsWith('ERR_PARSE_ARGS')) {
      const m = /'--?(no-)?([^' =]+)/.exec(e.message);
      const key = m ? (m[2].replace(/-/g, '_') as ConfigKey) : undefined;
      const known = key !== undefined && (KEYS as string[]).includes(key);
      const first = e.message.split('\n')[0].replace(/\. To specify.*$/s, '').replace(/\.$/, '');
      throw new InputError(`${first}${known ? `; ${FIELD[key].fix}` : ''} (see "micro-mining start --help")`, known ? key : m ? `--${m[1] ?? ''}${m[2]}` : undefined);
    }
    throw err;
  }
  const values: FlagValues['values'] = {};
  for (const k of KEYS) {
    const f = FIELD[k];
    const v = parsed.values[f.flag];
    const neg = f.negatable ? parsed.values[`no-${f.flag}`] : undefined;
    if (v !== undefined && neg) throw new InputError(`--${f.flag} and --no-${f.flag} contradict each other; give one`, k);
    if (neg) values[k] = f.kind === 'bool' ? false : 'off';
    else if (v !== undefined) values[k] = v as string | boolean;
  }
  return { values, help: parsed.values.help === true };
}

/** The environment variable of a key: MM_ + upper-case flag name. */
export function envName(key: ConfigKey): string {
  return `MM_${FIELD[key].flag.replace(/-/g, '_').toUpperCase()}`;
}

/** Reads MM_* variables (and MM_NO_* switches); empty values count as unset. */
export function readEnv(env: NodeJS.ProcessEnv): { values: Partial<Record<ConfigKey, string | boolean>>; origins: Partial<Record<ConfigKey, string>> } {
  const values: Partial<Record<ConfigKey, string | boolean>> = {};
  const origins: Partial<Record<ConfigKey, string>> = {};
  for (const k of KEYS) {
    const f = FIELD[k];
    if (f.flagOnly) continue;
    const name = envName(k);
    const v = env[name];
    if (v !== undefined && v.trim() !== '') {
      values[k] = v;
      origins[k] = `${name}=${f.secret ? '***' : maskInline(JSON.stringify(v).slice(1, -1)).slice(0, 80)}`;
    }
    if (f.negatable) {
      const nname = `MM_NO_${f.flag.replace(/-/g, '_').toUpperCase()}`;
      const nv = env[nname];
      if (nv !== undefined && nv.trim() !== '' && toBool(nv) === true) {
        values[k] = f.kind === 'bool' ? false : 'off';
        origins[k] = `${nname}=${nv}`;
      }
    }
  }
  return { values, origins };
}

const MAX_FILE_BYTES = 1024 * 1024;

/** Reads a configuration file: YAML or JSON (JSON is YAML), a mapping of file keys. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError(`--config ${path}: not a file; give the path of a YAML or JSON file`, 'config');
    if (st.size > MAX_FILE_BYTES) throw new InputError(`--config ${path}: ${st.size} bytes is too large for a configuration file (at most 1 MiB)`, 'config');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`--config ${path}: cannot read it (${e.code ?? e.message}); give the path of a readable YAML or JSON file`, 'config');
  }
  return parseConfigText(text, path);
}

/** Parses configuration text (YAML or JSON). */
export function parseConfigText(text: string, name = 'configuration'): Record<string, unknown> {
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = YAML.parse(text, { maxAliasCount: 100, prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new InputError(`--config ${name}: not valid YAML or JSON: ${first}`, 'config');
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(`--config ${name}: expected a mapping of settings (key: value), got ${Array.isArray(doc) ? 'a list' : typeof doc}`, 'config');
  }
  return doc as Record<string, unknown>;
}

function didYouMean(key: string): string {
  const norm = key.toLowerCase().replace(/-/g, '_');
  if ((KEYS as string[]).includes(norm)) return ` (did you mean ${norm}?)`;
  let best: string | null = null;
  let bestD = 3;
  for (const k of KEYS) {
    const d = editDistance(norm, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

// ---------------------------------------------------------------------------------------------
// Loading

export interface LoadOptions {
  /** flags after the verb (e.g. `start`'s arguments) */
  argv?: string[];
  /** environment (MM_* variables, SUPERVISOR_TOKEN, HOME, XDG_DATA_HOME) */
  env?: NodeJS.ProcessEnv;
  /** configuration file path; default: --config, else MM_CONFIG */
  file?: string;
  /** add-on mode; default: --addon / MM_ADDON, else when SUPERVISOR_TOKEN is set */
  addon?: boolean;
  /** number of cores (default: os.availableParallelism()) */
  cores?: number;
  /** home folder for the standalone data dir (default: HOME, else os.homedir()) */
  home?: string;
}

/** Source strings never carry a password written into a URL. */
function maskInline(s: string): string {
  return s.replace(/\/\/([^:@/\s]*):[^@/\s]*@/g, '//$1:***@');
}

function fail(key: ConfigKey, why: string, sources: Partial<Record<ConfigKey, string>>): never {
  const src = sources[key];
  const where = src ? ` (from ${src})` : '';
  throw new InputError(`${key} / --${FIELD[key].flag}${where}: ${why}; ${FIELD[key].fix}`, key);
}

/**
 * Loads the configuration: defaults < file < environment < flags, validated once.
 * Throws InputError (exit 2) naming the field, the flag, where the bad value came from, and the fix.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? {};
  const cores = Math.max(1, Math.floor(opts.cores ?? availableParallelism()));
  const flags = parseFlags(opts.argv ?? []);
  const envIn = readEnv(env);
  const sources: Partial<Record<ConfigKey, string>> = {};

  const configPath = (opts.file ?? (flags.values.config as string | undefined) ?? env.MM_CONFIG ?? '').trim() || null;
  if (configPath) sources.config = opts.file ? 'caller' : flags.values.config ? `--config ${configPath}` : `MM_CONFIG=${configPath}`;

  const addonGuess = opts.addon ?? flagOrEnvBool(flags.values.addon, envIn.values.addon) ?? Boolean(env.SUPERVISOR_TOKEN);
  const warnings: string[] = [];

  // file
  const merged: Record<string, unknown> = {};
  if (configPath) {
    const file = readConfigFile(configPath);
    for (const [k, v] of Object.entries(file)) {
      if (!(KEYS as string[]).includes(k) || FIELD[k as ConfigKey].flagOnly) {
        const msg = `${configPath}: unknown setting "${k}"${didYouMean(k)}`;
        // The Supervisor keeps options an older version had; an add-on upgrade must not fail on them.
        if (addonGuess) {
          warnings.push(`${msg}; ignored`);
          continue;
        }
        throw new InputError(`${msg}; see "micro-mining check-config --help" for the settings`, k);
      }
      if (isBlank(v)) continue;
      merged[k] = v;
      sources[k as ConfigKey] = configPath;
    }
  }
  // environment, then flags
  for (const [k, v] of Object.entries(envIn.values)) {
    merged[k] = v;
    sources[k as ConfigKey] = envIn.origins[k as ConfigKey];
  }
  for (const [k, v] of Object.entries(flags.values)) {
    if (k === 'config') continue;
    if (typeof v === 'string' && v.trim() === '') continue;
    merged[k] = v;
    const f = FIELD[k as ConfigKey];
    sources[k as ConfigKey] = typeof v === 'boolean' ? (v ? `--${f.flag}` : `--no-${f.flag}`) : `--${f.flag} ${f.secret ? '***' : maskInline(v).slice(0, 200)}`;
  }
  if (configPath) merged.config = configPath;

  const parsed = settingsSchema(cores).safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]) as ConfigKey;
    const rest = issue.path.slice(1).map(String);
    let why = issue.message;
    if (key === 'threads' && /at most/.test(why)) why = `${why} (this machine has ${cores} cores)`;
    if (rest.length) why = `item ${rest.join('.')}: ${why}`;
    fail(key, why, sources);
  }
  return resolve(parsed.data, { env, cores, addon: opts.addon, sources, warnings, home: opts.home, configPath });
}

function flagOrEnvBool(flag: unknown, envv: unknown): boolean | undefined {
  const v = flag ?? envv;
  if (v === undefined) return undefined;
  const b = toBool(v);
  return typeof b === 'boolean' ? b : undefined;
}


interface ResolveCtx {
  env: NodeJS.ProcessEnv;
  cores: number;
  addon?: boolean;
  sources: Partial<Record<ConfigKey, string>>;
  warnings: string[];
  home?: string;
  configPath: string | null;
}

/** Cross-field rules and defaults: the validated settings as the Config the hub uses. */
function resolve(s: Settings, ctx: ResolveCtx): Config {
  const { env, sources, warnings } = ctx;
  const addon = ctx.addon ?? s.addon ?? Boolean(env.SUPERVISOR_TOKEN);

  // job source
  let pool: Config['pool'] = null;
  if (s.pool) {
    const u = new URL(s.pool);
    const user = s.pool_user ?? (u.username ? decodeURIComponent(u.username) : undefined);
    const password = s.pool_password ?? (u.password ? decodeURIComponent(u.password) : undefined) ?? 'x';
    if (!user) fail('pool_user', 'is required with a pool', sources);
    pool = { url: s.pool, user, password, fallbackUrl: s.fallback_pool ?? null };
  } else {
    if (s.fallback_pool) fail('pool', 'is required when fallback_pool is given (the fallback is used only when the pool is unreachable)', sources);
    if (s.pool_user || s.pool_password) warnings.push('pool_user / pool_password are set but no pool is; they are not used');
  }
  let practice = s.practice ?? pool === null;
  if (s.practice === false && pool === null) fail('pool', 'is required when practice is off (practice: false)', sources);
  if (practice && pool) warnings.push('practice is on, so the pool settings are not used (practice earns nothing); set practice to false to mine at the pool');
  if (!practice && !pool) practice = true;

  // power
  if (s.policy === 'surplus' && !s.power_sensor && s.power_budget === undefined) {
    fail('power_sensor', 'the surplus policy needs a power sensor or a power budget', sources);
  }
  if (s.price_ceiling !== undefined && !s.price_sensor) fail('price_sensor', 'is required with price_ceiling', sources);

  // Home Assistant
  let ha: Config['ha'] = null;
  if (s.ha_url) {
    const token = s.ha_token ?? (addon ? env.SUPERVISOR_TOKEN : undefined);
    if (!token) fail('ha_token', 'is required with ha_url', sources);
    ha = { url: s.ha_url, token };
  } else if (s.ha_token) {
    fail('ha_url', 'is required with ha_token', sources);
  } else if (addon && env.SUPERVISOR_TOKEN) {
    ha = { url: ADDON_HA_URL, token: env.SUPERVISOR_TOKEN };
  } else if (addon) {
    warnings.push('add-on mode without SUPERVISOR_TOKEN: running without Home Assistant');
  }

  // MQTT
  let mqtt: Config['mqtt'];
  const mqttBase = { discoveryPrefix: s.discovery_prefix ?? 'homeassistant', haStatusTopic: s.ha_status_topic ?? 'homeassistant/status' };
  if (s.mqtt === false || s.mqtt === 'off') {
    mqtt = { mode: 'off', url: null, username: null, password: null, ...mqttBase };
  } else if (s.mqtt) {
    mqtt = { mode: 'external', url: s.mqtt, username: s.mqtt_username ?? null, password: s.mqtt_password ?? null, ...mqttBase };
  } else {
    if (s.mqtt_username || s.mqtt_password) warnings.push('mqtt_username / mqtt_password are set but no mqtt URL is; the embedded broker is used');
    mqtt = { mode: 'embedded', url: null, username: null, password: null, ...mqttBase };
  }

  // Node-RED
  if (!!s.node_red_username !== !!s.node_red_password) {
    fail(s.node_red_username ? 'node_red_password' : 'node_red_username', 'the editor login needs both node_red_username and node_red_password', sources);
  }

  const home = ctx.home ?? env.HOME ?? homedir();
  const dataDir = s.data_dir ?? (addon ? ADDON_DATA_DIR : join(env.XDG_DATA_HOME?.trim() || join(home, '.local', 'share'), 'micro-mining'));

  const stratumBind = s.stratum_bind ?? (addon ? '0.0.0.0' : '127.0.0.1');
  const statusBind = s.status_bind ?? (addon ? '0.0.0.0' : '127.0.0.1');

  const overrides: IdleOverrideSetting[] = (s.idle_overrides ?? []).map((o) => {
    const out: IdleOverrideSetting = { match: { [o.match_type]: o.match } };
    if (o.state === 'ignore') out.ignore = true;
    else if (o.state === 'idle' || o.state === 'busy') out.force = o.state;
    if (o.hold_seconds !== undefined) out.holdSeconds = o.hold_seconds;
    if (o.power_threshold_w !== undefined) out.powerThresholdW = o.power_threshold_w;
    return out;
  });
  const workers: WorkerMappingSetting[] = (s.worker_mappings ?? []).map((w) => {
    const out: WorkerMappingSetting = { workerId: w.worker };
    if (w.device) out.deviceId = w.device;
    if (w.mac) out.mac = w.mac;
    if (w.ip) out.ip = w.ip;
    if (w.name) out.name = w.name;
    return out;
  });

  const threads = s.threads ?? Math.max(0, ctx.cores - 1);
  if (addon && (s.stratum ?? true) && stratumBind === '127.0.0.1') warnings.push('stratum_bind is 127.0.0.1: miners on your network cannot reach the endpoint');

  return {
    addon,
    configFile: ctx.configPath,
    dataDir,
    practice,
    pool: practice ? null : pool,
    threads,
    kernel: s.kernel ?? 'auto',
    policy: s.policy ?? 'idle_only',
    power: {
      sensor: s.power_sensor ?? null,
      sensorInverted: s.power_sensor_inverted ?? false,
      budgetW: s.power_budget ?? null,
      stagesW: s.power_stages ?? [],
      priceSensor: s.price_sensor ?? null,
      priceCeiling: s.price_ceiling ?? null,
    },
    quietHours: s.quiet_hours ? parseQuietHours(s.quiet_hours) : [],
    idle: {
      holdSeconds: s.idle_hold ?? 60,
      powerThresholdW: s.idle_power_threshold ?? 5,
      hubMaxLoadPercent: s.hub_max_load ?? 50,
      overrides,
      workers,
    },
    stratum: {
      enabled: s.stratum ?? true,
      port: s.stratum_port ?? 3333,
      bind: stratumBind,
      password: s.stratum_password ?? null,
      shareIntervalS: s.share_interval ?? 10,
      maxMiners: s.max_miners ?? 1024,
    },
    mqtt,
    ha,
    nodeRed: {
      enabled: s.node_red ?? true,
      port: s.node_red_port ?? 1880,
      username: s.node_red_username ?? null,
      password: s.node_red_password ?? null,
    },
    status: {
      port: s.status_port ?? 8099,
      bind: statusBind,
      // the Supervisor's ingress proxy, and the container itself (Docker HEALTHCHECK)
      allow: addon ? [SUPERVISOR_INGRESS_IP, '127.0.0.1', '::1'] : [],
    },
    logLevel: s.log_level ?? 'info',
    heapMb: s.heap_mb ?? (addon ? 512 : 0),
    sources: { ...sources },
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Printing

const MASK = '***';

function maskUrl(url: string | null): string | null {
  if (!url) return url;
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = MASK;
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, `//$1:${MASK}@`);
  }
}

/** A copy of the configuration with every secret replaced by *** (unset secrets stay null). */
export function maskSecrets(c: Config): Config {
  const m = (v: string | null | undefined) => (v ? MASK : (v ?? null));
  return {
    ...c,
    pool: c.pool ? { ...c.pool, url: maskUrl(c.pool.url)!, password: MASK, fallbackUrl: maskUrl(c.pool.fallbackUrl) } : null,
    stratum: { ...c.stratum, password: m(c.stratum.password) },
    mqtt: { ...c.mqtt, url: maskUrl(c.mqtt.url), password: m(c.mqtt.password) },
    ha: c.ha ? { url: maskUrl(c.ha.url)!, token: MASK } : null,
    nodeRed: { ...c.nodeRed, password: m(c.nodeRed.password) },
    power: { ...c.power },
    idle: { ...c.idle },
    status: { ...c.status },
    quietHours: [...c.quietHours],
    sources: { ...c.sources },
    warnings: [...c.warnings],
  };
}

/** `--help` text of the settings: flag, environment variable, file key, meaning. */
export function settingsHelp(): string {
  const rows = KEYS.map((k) => {
    const f = FIELD[k];
    const flag = `--${f.flag}${f.arg ? ` ${f.arg}` : ''}${f.negatable ? `, --no-${f.flag}` : ''}`;
    const where = f.flagOnly ? '' : `  [${envName(k)}, ${k}]`;
    return `  ${flag.padEnd(34)} ${f.help}${where}`;
  });
  return rows.join('\n');
}

/** The keys of secret settings (masked when printed). */
export const SECRET_KEYS: ConfigKey[] = KEYS.filter((k) => FIELD[k].secret);

// The one configuration object of the hub: defaults, a configuration file (YAML or JSON; the
// add-on passes /data/options.json), environment variables (MM_ + upper-case flag name) and
// flags, merged (flags win over environment, environment over file) and validated once, with
// messages that name the field, where its value came from, and the fix.
//
// One name per setting everywhere: the flag `--pool-user`, the environment variable
// `MM_POOL_USER` and the key `pool_user` in the configuration file and in the add-on options.
//
// The parts live beside this file in ./config/: fields.ts (the settings table), values.ts and
// schema.ts (parsing and validation), sources.ts (flags, environment, file), secrets.ts (masking).
// This file is the public face: the Config the hub uses, loadConfig, and re-exports.
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../core/index.js';
import { FIELD, FIELDS, KEYS, type ConfigKey } from './config/fields.js';
import { settingsSchema, type Settings } from './config/schema.js';
import { envName, parseFlags, readConfigFile, readEnv, didYouMean } from './config/sources.js';
import { isBlank, parseQuietHours, toBool, type QuietHours } from './config/values.js';
import { MASK, maskInline, maskUrl } from './config/secrets.js';
import { parsePoolUrlParts } from './config/pool-url.js';
import { registerSecret, scrub } from '../log.js';

export { FIELDS, type ConfigKey, type Field } from './config/fields.js';
export { settingsSchema, type Settings } from './config/schema.js';
export { envName, parseConfigText, parseFlags, readConfigFile, readEnv, type FlagValues } from './config/sources.js';
export type { QuietHours } from './config/values.js';
export { maskUrl } from './config/secrets.js';
export { POOL_URL_PATTERN, poolUrlProblem } from './config/pool-url.js';

// ---------------------------------------------------------------------------------------------
// The effective configuration

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
    budgetW: number | null;
    stagesW: number[];
    priceSensor: string | null;
    priceCeiling: number | null;
  };
  quietHours: QuietHours[];
  /** miners and workers on the endpoint: declared power (W by worker name), minimum on/off time of their HA switch (s) */
  miners: { powerW: Record<string, number>; switchMinOnS: number; switchMinOffS: number };
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


function fail(key: ConfigKey, why: string, sources: Partial<Record<ConfigKey, string>>, value?: unknown): never {
  const src = sources[key];
  const where = src ? ` (from ${src})` : '';
  throw new InputError(`${key} / --${FIELD[key].flag}${where}: ${shownValue(key, value, src)}${why}; ${FIELD[key].fix}`, key);
}

/** The bad value, masked, as `"value" `; nothing when the source line already shows it or it is not text. */
function shownValue(key: ConfigKey, value: unknown, src: string | undefined): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  if (FIELD[key].secret) return '';
  const text = maskUrl(String(value));
  if (src && src !== 'caller' && (src.startsWith('--') || src.startsWith('MM_'))) return '';
  return `${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)} `;
}

/** Registers every secret among the raw settings, so no log line or message can print one. */
function registerSecrets(merged: Record<string, unknown>): void {
  for (const k of KEYS) {
    const v = merged[k];
    if (typeof v !== 'string') continue;
    if (FIELD[k].secret) registerSecret(v);
    else if (v.includes('@') && v.includes(':')) {
      // a URL setting with a password written in it
      const masked = maskUrl(v);
      if (masked !== v) {
        const scheme = v.indexOf('://');
        const userinfo = v.slice(scheme >= 0 ? scheme + 3 : 0, v.lastIndexOf('@'));
        const pw = userinfo.slice(userinfo.indexOf(':') + 1);
        registerSecret(pw);
        try {
          registerSecret(decodeURIComponent(pw));
        } catch {
          /* not decodable: the raw form is registered */
        }
      }
    }
  }
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
  registerSecrets(merged);

  const parsed = settingsSchema(cores).safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]) as ConfigKey;
    const rest = issue.path.slice(1).map(String);
    let why = issue.message;
    if ((key === 'threads' || key === 'headroom') && /at most/.test(why)) why = `${why} (this machine has ${cores} cores)`;
    if (rest.length) why = `item ${rest.join('.')}: ${why}`;
    fail(key, why, sources, rest.length ? undefined : merged[key]);
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
    const u = parsePoolUrlParts(s.pool);
    const user = s.pool_user ?? u.user;
    const password = s.pool_password ?? u.password ?? 'x';
    if (!user) fail('pool_user', 'is required with a pool', sources);
    pool = { url: s.pool, user, password, fallbackUrl: s.fallback_pool ?? null };
  } else {
    if (s.fallback_pool) fail('pool', 'is required when fallback_pool is given (the fallback is used only when the pool is unreachable)', sources);
    if (s.pool_user || s.pool_password) warnings.push('pool_user / pool_password are set but no pool is; they are not used');
  }
  let node: Config['node'] = null;
  if (s.node) {
    if (pool) fail('node', 'is set together with pool: mine either at a pool or solo with your own node (leave one of them empty)', sources);
    if (!s.payout_address) fail('payout_address', 'is required with a node (the address a block found pays)', sources);
    if (!s.node_cookie && !new URL(s.node).username) fail('node', 'has no RPC user and password, and no node_cookie is given', sources);
    node = { url: s.node, cookieFile: s.node_cookie ?? null, payoutAddress: s.payout_address };
  } else if (s.node_cookie || s.payout_address) {
    fail('node', `is required when ${s.node_cookie ? 'node_cookie' : 'payout_address'} is given (solo mining needs your node's RPC URL)`, sources);
  }
  let practice = s.practice ?? (pool === null && node === null);
  if (s.practice === false && pool === null && node === null) fail('pool', 'is required when practice is off (practice: false)', sources);
  if (practice && node) warnings.push('practice is on, so the node settings are not used (practice earns nothing); set practice to false to mine solo with your node');
  if (practice && pool) warnings.push('practice is on, so the pool settings are not used (practice earns nothing); set practice to false to mine at the pool');
  if (!practice && !pool && !node) practice = true;

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
  if (s.bridge_key && mqtt.mode === 'off') warnings.push('bridge_key is set but MQTT is off: the bridge needs MQTT, so it stays off');
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
    if (o.role === 'load') out.role = 'load';
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

  const threads = s.threads ?? Math.max(0, ctx.cores - (s.headroom ?? 1));
  if (addon && (s.stratum ?? true) && stratumBind === '127.0.0.1') warnings.push('stratum_bind is 127.0.0.1: miners on your network cannot reach the endpoint');

  return {
    addon,
    configFile: ctx.configPath,
    dataDir,
    practice,
    practiceDifficulty: s.practice_difficulty ?? 0.001,
    pool: practice ? null : pool,
    node: practice ? null : node,
    threads,
    headroom: s.headroom ?? null,
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
    miners: {
      powerW: Object.fromEntries((s.worker_power ?? []).map((w) => [w.worker, w.watts])),
      switchMinOnS: s.switch_min_on ?? 300,
      switchMinOffS: s.switch_min_off ?? 300,
    },
    idle: {
      holdSeconds: s.idle_hold ?? 60,
      powerThresholdW: s.idle_power_threshold ?? 5,
      hubMaxLoadPercent: s.hub_max_load ?? 50,
      includeLights: s.include_lights ?? false,
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
      maxWorkerDevices: s.max_worker_devices ?? 32,
    },
    mqtt,
    ha,
    nodeRed: {
      enabled: s.node_red ?? true,
      port: s.node_red_port ?? 1880,
      username: s.node_red_username ?? null,
      password: s.node_red_password ?? null,
      hosts: s.node_red_hosts ?? [],
    },
    bridgeKey: s.bridge_key ?? null,
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


// ---------------------------------------------------------------------------------------------
// Printing

/** A copy of the configuration with every secret replaced by *** (unset secrets stay null). */
export function maskSecrets(c: Config): Config {
  const m = (v: string | null | undefined) => (v ? MASK : (v ?? null));
  const masked: Config = {
    ...c,
    pool: c.pool ? { ...c.pool, url: maskUrl(c.pool.url), password: MASK, fallbackUrl: maskUrl(c.pool.fallbackUrl) } : null,
    node: c.node ? { ...c.node, url: maskUrl(c.node.url) ?? '' } : null,
    stratum: { ...c.stratum, password: m(c.stratum.password) },
    mqtt: { ...c.mqtt, url: maskUrl(c.mqtt.url), password: m(c.mqtt.password) },
    ha: c.ha ? { url: maskUrl(c.ha.url), token: MASK } : null,
    nodeRed: { ...c.nodeRed, password: m(c.nodeRed.password), hosts: [...c.nodeRed.hosts] },
    bridgeKey: m(c.bridgeKey),
    power: { ...c.power },
    idle: { ...c.idle },
    status: { ...c.status },
    quietHours: [...c.quietHours],
    sources: { ...c.sources },
    warnings: [...c.warnings],
  };
  // any other string that holds a secret given to loadConfig (a setting added later, a warning)
  return scrubDeep(masked) as Config;
}

function scrubDeep(v: unknown): unknown {
  if (typeof v === 'string') return scrub(v);
  if (Array.isArray(v)) return v.map(scrubDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubDeep(x)]));
  return v;
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

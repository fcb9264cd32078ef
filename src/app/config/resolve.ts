// Cross-field rules and defaults, one resolver per section: the validated settings (file keys)
// as the Config the hub uses. A resolver adds what is wrong to `problems` and goes on, so that
// every problem is reported at once; warnings are things allowed but probably not meant.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from './schema.js';
import { parsePoolUrlParts } from './pool-url.js';
import { parseQuietHours } from './values.js';
import type { Problems } from './problems.js';
import { ADDON_DATA_DIR, ADDON_HA_URL, SUPERVISOR_INGRESS_IP, type Config, type IdleOverrideSetting, type WorkerMappingSetting } from './types.js';

export interface ResolveCtx {
  env: NodeJS.ProcessEnv;
  cores: number;
  addon: boolean;
  problems: Problems;
  warnings: string[];
  home?: string;
}

type JobSource = Pick<Config, 'practice' | 'practiceDifficulty' | 'pool' | 'node'>;

/** The job source: a pool, the user's own node (solo), or practice (the default with neither). */
export function resolveJobSource(s: Settings, { problems, warnings }: ResolveCtx): JobSource {
  let pool: Config['pool'] = null;
  if (s.pool) {
    const u = parsePoolUrlParts(s.pool);
    const user = s.pool_user ?? u.user;
    const password = s.pool_password ?? u.password ?? 'x';
    if (!user) problems.add('pool_user', 'is required with a pool');
    else pool = { url: s.pool, user, password, fallbackUrl: s.fallback_pool ?? null };
  } else {
    if (s.fallback_pool) problems.add('pool', 'is required when fallback_pool is given (the fallback is used only when the pool is unreachable)');
    if (s.pool_user || s.pool_password) warnings.push('pool_user / pool_password are set but no pool is; they are not used');
  }
  let node: Config['node'] = null;
  if (s.node) {
    if (s.pool) problems.add('node', 'is set together with pool: mine either at a pool or solo with your own node (leave one of them empty)');
    else if (!s.payout_address) problems.add('payout_address', 'is required with a node (the address a block found pays)');
    else if (!s.node_cookie && !new URL(s.node).username) problems.add('node', 'has no RPC user and password, and no node_cookie is given');
    else node = { url: s.node, cookieFile: s.node_cookie ?? null, payoutAddress: s.payout_address };
  } else if (s.node_cookie || s.payout_address) {
    problems.add('node', `is required when ${s.node_cookie ? 'node_cookie' : 'payout_address'} is given (solo mining needs your node's RPC URL)`);
  }
  let practice = s.practice ?? (pool === null && node === null);
  if (s.practice === false && !s.pool && !s.node) problems.add('pool', 'is required when practice is off (practice: false)');
  if (practice && node)
    warnings.push('practice is on, so the node settings are not used (practice earns nothing); set practice to false to mine solo with your node');
  if (practice && pool) warnings.push('practice is on, so the pool settings are not used (practice earns nothing); set practice to false to mine at the pool');
  if (!practice && !pool && !node) practice = true;
  return { practice, practiceDifficulty: s.practice_difficulty ?? 0.001, pool: practice ? null : pool, node: practice ? null : node };
}

/** Threads, kernel and policy of the hub's own hashing. */
export function resolveHashing(s: Settings, { cores }: ResolveCtx): Pick<Config, 'threads' | 'headroom' | 'kernel' | 'policy'> {
  return {
    threads: s.threads ?? Math.max(0, cores - (s.headroom ?? 1)),
    headroom: s.headroom ?? null,
    kernel: s.kernel ?? 'auto',
    policy: s.policy ?? 'idle_only',
  };
}

/** The power budget of the surplus policy and the price ceiling. */
export function resolvePower(s: Settings, { problems }: ResolveCtx): Config['power'] {
  if (s.policy === 'surplus' && !s.power_sensor && s.power_budget === undefined) {
    problems.add('power_sensor', 'the surplus policy needs a power sensor or a power budget');
  }
  if (s.price_ceiling !== undefined && !s.price_sensor) problems.add('price_sensor', 'is required with price_ceiling');
  // a target sensor alone means: follow it
  const targetMode = s.power_target ?? (s.power_target_sensor ? 'sensor' : 'off');
  if (targetMode === 'sensor' && !s.power_target_sensor)
    problems.add('power_target_sensor', 'is required with power_target sensor (e.g. sensor.p_deferrable0)');
  if (targetMode === 'surplus' && !s.power_sensor)
    problems.add('power_sensor', 'is required with power_target surplus (the grid export or solar surplus sensor)');
  return {
    ...(targetMode !== 'off' ? { target: { mode: targetMode, sensor: s.power_target_sensor ?? null } } : {}),
    sensor: s.power_sensor ?? null,
    sensorInverted: s.power_sensor_inverted ?? false,
    budgetW: s.power_budget ?? null,
    stagesW: s.power_stages ?? [],
    priceSensor: s.price_sensor ?? null,
    priceCeiling: s.price_ceiling ?? null,
  };
}

/** Miners and workers on the endpoint: declared power, minimum on/off time of their HA switch. */
export function resolveMiners(s: Settings): Config['miners'] {
  return {
    powerW: Object.fromEntries((s.worker_power ?? []).map((w) => [w.worker, w.watts])),
    switchMinOnS: s.switch_min_on ?? 300,
    switchMinOffS: s.switch_min_off ?? 300,
    // the first axeos_url of a worker counts
    axeosUrls: Object.fromEntries(
      (s.worker_mappings ?? [])
        .filter((w) => w.axeos_url)
        .reverse()
        .map((w) => [w.worker, w.axeos_url as string]),
    ),
  };
}

/** The idle classifier: hold time, thresholds, per-appliance rules and worker-to-device links. */
export function resolveIdle(s: Settings): Config['idle'] {
  const overrides: IdleOverrideSetting[] = (s.idle_overrides ?? []).map((o) => {
    const out: IdleOverrideSetting = { match: { [o.match_type]: o.match } };
    if (o.state === 'ignore') out.ignore = true;
    else if (o.state === 'idle' || o.state === 'busy') out.force = o.state;
    if (o.role === 'load') out.role = 'load';
    if (o.hold_seconds !== undefined) out.holdSeconds = o.hold_seconds;
    if (o.power_threshold_w !== undefined) out.powerThresholdW = o.power_threshold_w;
    return out;
  });
  // an entry with only worker + axeos_url links no HA device (the AxeOS part reads it: miners.axeosUrls)
  const workers: WorkerMappingSetting[] = (s.worker_mappings ?? [])
    .filter((w) => w.device || w.mac || w.ip || w.name)
    .map((w) => {
      const out: WorkerMappingSetting = { workerId: w.worker };
      if (w.device) out.deviceId = w.device;
      if (w.mac) out.mac = w.mac;
      if (w.ip) out.ip = w.ip;
      if (w.name) out.name = w.name;
      return out;
    });
  return {
    holdSeconds: s.idle_hold ?? 60,
    powerThresholdW: s.idle_power_threshold ?? 5,
    hubMaxLoadPercent: s.hub_max_load ?? 50,
    includeLights: s.include_lights ?? false,
    overrides,
    workers,
  };
}

/** The local Stratum endpoint for household miners and workers. */
export function resolveStratum(s: Settings, { addon, warnings }: ResolveCtx): Config['stratum'] {
  const bind = s.stratum_bind ?? (addon ? '0.0.0.0' : '127.0.0.1');
  const enabled = s.stratum ?? true;
  if (addon && enabled && bind === '127.0.0.1') warnings.push('stratum_bind is 127.0.0.1: miners on your network cannot reach the endpoint');
  return {
    enabled,
    port: s.stratum_port ?? 3333,
    bind,
    password: s.stratum_password ?? null,
    shareIntervalS: s.share_interval ?? 10,
    maxMiners: s.max_miners ?? 1024,
    maxWorkerDevices: s.max_worker_devices ?? 32,
  };
}

/** Home Assistant: a URL and token, the Supervisor's in the add-on, or none. */
export function resolveHa(s: Settings, { env, addon, problems, warnings }: ResolveCtx): Config['ha'] {
  if (s.ha_url) {
    const token = s.ha_token ?? (addon ? env.SUPERVISOR_TOKEN : undefined);
    if (!token) {
      problems.add('ha_token', 'is required with ha_url');
      return null;
    }
    return { url: s.ha_url, token };
  }
  if (s.ha_token) problems.add('ha_url', 'is required with ha_token');
  else if (addon && env.SUPERVISOR_TOKEN) return { url: ADDON_HA_URL, token: env.SUPERVISOR_TOKEN };
  else if (addon) warnings.push('add-on mode without SUPERVISOR_TOKEN: running without Home Assistant');
  return null;
}

/** MQTT: an external broker, the embedded one (no URL), or off. */
export function resolveMqtt(s: Settings, { warnings }: ResolveCtx): Config['mqtt'] {
  const base = { discoveryPrefix: s.discovery_prefix ?? 'homeassistant', haStatusTopic: s.ha_status_topic ?? 'homeassistant/status' };
  if (s.mqtt === false || s.mqtt === 'off') return { mode: 'off', url: null, username: null, password: null, ...base };
  if (s.mqtt) return { mode: 'external', url: s.mqtt, username: s.mqtt_username ?? null, password: s.mqtt_password ?? null, ...base };
  if (s.mqtt_username || s.mqtt_password) warnings.push('mqtt_username / mqtt_password are set but no mqtt URL is; the embedded broker is used');
  return { mode: 'embedded', url: null, username: null, password: null, ...base };
}

/** The embedded Node-RED editor and the MQTT bridge for flows in another Node-RED. */
export function resolveNodeRed(s: Settings, mqtt: Config['mqtt'], { problems, warnings }: ResolveCtx): Pick<Config, 'nodeRed' | 'bridgeKey'> {
  if (s.bridge_key && mqtt.mode === 'off') warnings.push('bridge_key is set but MQTT is off: the bridge needs MQTT, so it stays off');
  if (!!s.node_red_username !== !!s.node_red_password) {
    problems.add(s.node_red_username ? 'node_red_password' : 'node_red_username', 'the editor login needs both node_red_username and node_red_password');
  }
  return {
    nodeRed: {
      enabled: s.node_red ?? true,
      port: s.node_red_port ?? 1880,
      username: s.node_red_username ?? null,
      password: s.node_red_password ?? null,
      hosts: s.node_red_hosts ?? [],
    },
    bridgeKey: s.bridge_key ?? null,
  };
}

/** The status page: port, address, and who may connect. */
export function resolveStatus(s: Settings, { addon }: ResolveCtx): Config['status'] {
  return {
    port: s.status_port ?? 8099,
    bind: s.status_bind ?? (addon ? '0.0.0.0' : '127.0.0.1'),
    // the Supervisor's ingress proxy, and the container itself (Docker HEALTHCHECK)
    allow: addon ? [SUPERVISOR_INGRESS_IP, '127.0.0.1', '::1'] : [],
  };
}

/** Where persisted state lives: /data in the add-on, else the XDG data folder. */
export function resolveDataDir(s: Settings, { env, addon, home }: ResolveCtx): string {
  const h = home ?? env.HOME ?? homedir();
  return s.data_dir ?? (addon ? ADDON_DATA_DIR : join(env.XDG_DATA_HOME?.trim() || join(h, '.local', 'share'), 'micro-mining'));
}

/** The validated settings as the Config the hub uses (problems collected in ctx.problems). */
export function resolve(s: Settings, ctx: ResolveCtx, configFile: string | null, sources: Config['sources']): Config {
  // in this order, so that problems and warnings read in the order of the sections
  const jobSource = resolveJobSource(s, ctx);
  const power = resolvePower(s, ctx);
  const ha = resolveHa(s, ctx);
  const mqtt = resolveMqtt(s, ctx);
  const { nodeRed, bridgeKey } = resolveNodeRed(s, mqtt, ctx);
  return {
    addon: ctx.addon,
    configFile,
    dataDir: resolveDataDir(s, ctx),
    ...jobSource,
    ...resolveHashing(s, ctx),
    power,
    quietHours: s.quiet_hours ? parseQuietHours(s.quiet_hours) : [],
    miners: resolveMiners(s),
    idle: resolveIdle(s),
    stratum: resolveStratum(s, ctx),
    mqtt,
    ha,
    nodeRed,
    bridgeKey,
    status: resolveStatus(s, ctx),
    workerPageGpu: s.worker_page_gpu ?? true,
    logLevel: s.log_level ?? 'info',
    heapMb: s.heap_mb ?? (ctx.addon ? 512 : 0),
    sources: { ...sources },
    warnings: ctx.warnings,
  };
}

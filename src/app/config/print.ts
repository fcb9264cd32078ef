// Printing the configuration: secrets masked; the effective settings under the names a user
// writes (file keys), so that check-config's output can be given back as a configuration file;
// the settings' rows of --help, laid out for the terminal.
import { helpTable, helpWidth } from '../../settings/index.js';
import { scrub } from '../../log.js';
import { FIELD, KEYS, type ConfigKey } from './fields.js';
import { MASK, maskUrl } from './secrets.js';
import { envName } from './sources.js';
import type { Config } from './types.js';

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

/**
 * The effective settings by file key (every key; null: unset), secrets as ***: what a
 * configuration file holding exactly this configuration says. `config` (flag-only) is left out.
 */
export function effectiveOptions(c: Config): Partial<Record<ConfigKey, unknown>> {
  const m = maskSecrets(c);
  const secret = (v: string | null) => (v ? MASK : null);
  const o: Record<ConfigKey, unknown> = {
    config: undefined,
    addon: m.addon,
    data_dir: m.dataDir,
    practice: m.practice,
    practice_difficulty: m.practiceDifficulty,
    pool: m.pool?.url ?? null,
    pool_user: m.pool?.user ?? null,
    pool_password: m.pool ? MASK : null,
    fallback_pool: m.pool?.fallbackUrl ?? null,
    node: m.node?.url ?? null,
    node_cookie: m.node?.cookieFile ?? null,
    payout_address: m.node?.payoutAddress ?? null,
    threads: m.threads,
    headroom: m.headroom,
    kernel: m.kernel,
    policy: m.policy,
    power_sensor: m.power.sensor,
    power_sensor_inverted: m.power.sensorInverted,
    power_target: m.power.target?.mode ?? 'off',
    power_target_sensor: m.power.target?.sensor ?? null,
    power_budget: m.power.budgetW,
    power_stages: m.power.stagesW,
    price_sensor: m.power.priceSensor,
    price_ceiling: m.power.priceCeiling,
    quiet_hours: m.quietHours.length ? m.quietHours.map((q) => q.text).join(',') : null,
    hub_max_load: m.idle.hubMaxLoadPercent,
    idle_hold: m.idle.holdSeconds,
    idle_power_threshold: m.idle.powerThresholdW,
    include_lights: m.idle.includeLights,
    idle_overrides: m.idle.overrides.map((r) => {
      const [matchType, match] = Object.entries(r.match)[0] ?? ['entity', ''];
      return {
        match_type: matchType,
        match,
        ...(r.ignore ? { state: 'ignore' } : r.force ? { state: r.force } : {}),
        ...(r.role ? { role: r.role } : {}),
        ...(r.holdSeconds !== undefined ? { hold_seconds: r.holdSeconds } : {}),
        ...(r.powerThresholdW !== undefined ? { power_threshold_w: r.powerThresholdW } : {}),
      };
    }),
    worker_mappings: m.idle.workers
      .map((w) => ({
        worker: w.workerId,
        ...(w.deviceId ? { device: w.deviceId } : {}),
        ...(w.mac ? { mac: w.mac } : {}),
        ...(w.ip ? { ip: w.ip } : {}),
        ...(w.name ? { name: w.name } : {}),
      }))
      .concat(Object.entries(m.miners.axeosUrls ?? {}).map(([worker, url]) => ({ worker, axeos_url: url }))),
    worker_power: Object.entries(m.miners.powerW).map(([worker, watts]) => ({ worker, watts })),
    switch_min_on: m.miners.switchMinOnS,
    switch_min_off: m.miners.switchMinOffS,
    stratum: m.stratum.enabled,
    stratum_port: m.stratum.port,
    stratum_bind: m.stratum.bind,
    stratum_password: secret(m.stratum.password),
    share_interval: m.stratum.shareIntervalS,
    max_miners: m.stratum.maxMiners,
    max_worker_devices: m.stratum.maxWorkerDevices,
    mqtt: m.mqtt.mode === 'off' ? 'off' : m.mqtt.url,
    mqtt_username: m.mqtt.username,
    mqtt_password: secret(m.mqtt.password),
    discovery_prefix: m.mqtt.discoveryPrefix,
    ha_status_topic: m.mqtt.haStatusTopic,
    ha_url: m.ha?.url ?? null,
    ha_token: m.ha ? MASK : null,
    node_red: m.nodeRed.enabled,
    node_red_port: m.nodeRed.port,
    node_red_username: m.nodeRed.username,
    node_red_password: secret(m.nodeRed.password),
    node_red_hosts: m.nodeRed.hosts,
    bridge_key: secret(m.bridgeKey),
    status_port: m.status.port,
    status_bind: m.status.bind,
    worker_page_gpu: m.workerPageGpu,
    log_level: m.logLevel,
    heap_mb: m.heapMb,
  };
  return Object.fromEntries(KEYS.filter((k) => !FIELD[k].flagOnly).map((k) => [k, o[k]]));
}

/** `--help` rows of the settings: flag, meaning, [environment variable, file key]; at the terminal's width. */
export function settingsHelp(width = helpWidth()): string {
  return helpTable(
    KEYS.map((k) => {
      const f = FIELD[k];
      return {
        flag: `--${f.flag}${f.arg ? ` ${f.arg}` : ''}${f.negatable ? `, --no-${f.flag}` : ''}`,
        help: f.help,
        where: f.flagOnly ? undefined : `[${envName(k)}, ${k}]`,
      };
    }),
    width,
  );
}

/** The keys of secret settings (masked when printed). */
export const SECRET_KEYS: ConfigKey[] = KEYS.filter((k) => FIELD[k].secret);

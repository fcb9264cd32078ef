// The schema of the merged raw settings (file keys), validated once by loadConfig.
import { z } from 'zod';
import { bool, entity, int, ipAddress, mappingItem, num, overrideItem, port, poolUrl, powerStages, quietHours, str, toJson, topic, urlWith } from './values.js';

/** The schema of the merged raw settings (file keys); `cores` bounds threads. */
export function settingsSchema(cores: number) {
  return z
    .object({
      config: str(4096),
      addon: bool(),
      data_dir: str(4096),
      practice: bool(),
      practice_difficulty: num(0.00001, 1_000_000),
      pool: poolUrl(),
      pool_user: str(512),
      pool_password: z.string().max(512, 'must be at most 512 characters'),
      fallback_pool: poolUrl(),
      node: urlWith(['http', 'https'], 'an RPC URL like http://user:password@127.0.0.1:8332').refine(
        (s) => URL.canParse(s) && (new URL(s).port !== '' || /^https:/i.test(s)),
        'needs the RPC port, e.g. http://user:password@127.0.0.1:8332 (8332 on mainnet)',
      ),
      node_cookie: str(4096),
      payout_address: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9]{14,90}$/, 'must be a Bitcoin address like bc1q…'),
      threads: int(0, cores),
      headroom: int(0, cores),
      kernel: z.enum(['auto', 'js', 'wasm', 'native'], { error: 'must be auto, js, wasm or native' }),
      policy: z.enum(['always', 'idle_only', 'surplus'], { error: 'must be always, idle_only or surplus' }),
      power_sensor: entity(),
      power_sensor_inverted: bool(),
      power_target: z.enum(['off', 'number', 'sensor', 'surplus'], { error: 'must be off, number, sensor or surplus' }),
      power_target_sensor: entity(),
      power_budget: num(0, 1_000_000),
      power_stages: powerStages(),
      price_sensor: entity(),
      price_ceiling: num(-1_000_000, 1_000_000),
      quiet_hours: quietHours(),
      hub_max_load: num(1, 100),
      idle_hold: num(0, 86_400),
      idle_power_threshold: num(0, 1_000_000),
      include_lights: bool(),
      idle_overrides: z.preprocess(toJson, z.array(overrideItem, { error: 'must be a list' }).max(1000, 'at most 1000 rules')),
      worker_mappings: z.preprocess(toJson, z.array(mappingItem, { error: 'must be a list' }).max(1000, 'at most 1000 mappings')),
      worker_power: z.preprocess(
        toJson,
        z.array(z.object({ worker: str(255), watts: num(0, 100_000) }).strict(), { error: 'must be a list' }).max(1000, 'at most 1000 entries'),
      ),
      switch_min_on: num(0, 86_400),
      switch_min_off: num(0, 86_400),
      stratum: bool(),
      stratum_port: port(),
      stratum_bind: ipAddress(),
      stratum_password: str(128),
      share_interval: num(1, 3600),
      max_miners: int(1, 100_000),
      max_worker_devices: int(1, 1000),
      mqtt: z.union([
        z.literal(false),
        z.literal('off'),
        urlWith(['mqtt', 'mqtts', 'tcp', 'ssl', 'tls', 'ws', 'wss'], 'a broker URL like mqtt://host:1883, or off'),
      ]),
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
      node_red_hosts: z.preprocess(
        (v) =>
          typeof v === 'string'
            ? v
                .split(',')
                .map((h) => h.trim())
                .filter(Boolean)
            : v,
        z
          .array(
            z
              .string()
              .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9.])?$|^[0-9a-fA-F:.]+$/, 'must be host names (letters, digits, dots, dashes) or IP addresses'),
            { error: 'must be host names separated by commas' },
          )
          .max(64, 'at most 64 names'),
      ),
      bridge_key: z.string().min(16, 'must be at least 16 characters').max(256, 'must be at most 256 characters'),
      status_port: port(),
      status_bind: ipAddress(),
      worker_page_gpu: bool(),
      log_level: z.preprocess(
        (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
        z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: 'must be trace, debug, info, warn, error, fatal or silent' }),
      ),
      heap_mb: int(0, 16_384).refine((n) => n === 0 || n >= 64, "must be 0 (Node's default) or at least 64"),
    })
    .partial();
}

export type Settings = z.output<ReturnType<typeof settingsSchema>>;

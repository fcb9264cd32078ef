// The one table of settings of the `micro-mining` command: every setting by its file/option key,
// with its flag (the key with `-` for `_`), environment variable (MM_ + the flag in upper case),
// kind, help and fix. The hub (`start`, `check-config`) reads the rows of its section, the worker
// agent (`micro-mining worker`) the rows of its own; a few rows serve both (threads, kernel,
// log_level). A new setting is one row here, then one line in the reader of its verb
// (src/app/config/schema.ts for the hub, src/worker/config.ts for the worker).

export type Kind = 'string' | 'int' | 'number' | 'bool' | 'json';

export interface Field {
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
  /** which command reads it: the hub (default), the worker agent, or both */
  scope?: 'worker' | 'both';
  /** the worker's own help and fix of a row both read (its meaning differs in a detail) */
  worker?: { help: string; fix: string };
}

export const ENTITY_RE = /^[a-z_]+\.[a-z0-9_]+$/;
export const ENTITY_FIX = 'give an entity id like sensor.grid_export (Settings > Entities in Home Assistant shows it)';

/** Every setting, by its file/option key. Flags are the key with `-` for `_`. */
// biome-ignore format: a table, one row per setting
export const SETTINGS = {
  config: { flag: 'config', kind: 'string', flagOnly: true, arg: 'FILE', help: 'configuration file (YAML or JSON); the add-on passes /data/options.json', fix: 'give the path of a readable YAML or JSON file' },
  addon: { flag: 'addon', kind: 'bool', help: 'add-on defaults (data in /data, endpoint on 0.0.0.0, Supervisor websocket); set by the add-on', fix: 'use true or false' },
  data_dir: { flag: 'data-dir', kind: 'string', arg: 'DIR', help: 'persisted state (lifetime totals, Node-RED user dir); default /data in the add-on, else ~/.local/share/micro-mining', fix: 'give a folder path' },
  practice: { flag: 'practice', kind: 'bool', negatable: true, help: 'practice job source (no network, earns nothing); on when no pool is given', fix: 'use true or false' },
  practice_difficulty: { flag: 'practice-difficulty', kind: 'number', arg: 'D', help: 'share difficulty of practice jobs (default 0.001; lower: shares more often)', fix: 'give a difficulty from 0.00001 to 1000000' },
  pool: { flag: 'pool', kind: 'string', arg: 'URL', help: 'upstream Stratum pool, stratum+tcp://host:port or stratum+ssl://host:port', fix: 'give a URL like stratum+tcp://pool.example.com:3333' },
  pool_user: { flag: 'pool-user', kind: 'string', arg: 'U', help: 'pool user: your payout address or account, often with .worker', fix: 'give the user the pool told you to use (often bc1…address.worker)' },
  pool_password: { flag: 'pool-password', kind: 'string', secret: true, arg: 'P', help: 'pool password (most pools take x)', fix: 'give the pool password, or x' },
  fallback_pool: { flag: 'fallback-pool', kind: 'string', arg: 'URL', help: 'second pool used when the first is unreachable', fix: 'give a URL like stratum+tcp://pool2.example.com:3333' },
  node: { flag: 'node', kind: 'string', arg: 'URL', help: 'your own Bitcoin node as the job source (solo): its RPC, http://user:password@host:8332', fix: 'give the node\'s RPC URL like http://user:password@192.168.1.10:8332 (rpcuser/rpcpassword from its bitcoin.conf), or the URL without credentials and --node-cookie' },
  node_cookie: { flag: 'node-cookie', kind: 'string', arg: 'FILE', help: 'the node\'s .cookie file, instead of a user and password in --node', fix: 'give the path of the node\'s .cookie file (in its data folder, e.g. ~/.bitcoin/.cookie)' },
  payout_address: { flag: 'payout-address', kind: 'string', arg: 'ADDR', help: 'your Bitcoin address that a block found solo pays (with --node)', fix: 'give an address of your own wallet on the node\'s network (bc1… on mainnet)' },
  threads: { flag: 'threads', kind: 'int', scope: 'both', worker: { help: 'most hashing threads (default: cores - 1, at least 1)', fix: 'give a whole number from 1 to the number of cores' }, arg: 'N', help: 'maximum hub threads (0 = the hub does not hash); the hub runs at most cores - headroom of them; default cores - headroom', fix: 'give a whole number from 0 to the number of cores' },
  headroom: { flag: 'headroom', kind: 'int', arg: 'N', help: 'cores kept free for Home Assistant and other programs: the hub runs at most cores - N threads (default: the flow\'s policy, 1)', fix: 'give a whole number of cores from 0 to the number of cores' },
  kernel: { flag: 'kernel', kind: 'string', scope: 'both', arg: 'K', help: 'hashing kernel: auto, js, wasm or native', fix: 'use auto, js, wasm or native' },
  policy: { flag: 'policy', kind: 'string', arg: 'P', help: 'mining policy: always, idle_only or surplus', fix: 'use always, idle_only or surplus' },
  power_sensor: { flag: 'power-sensor', kind: 'string', arg: 'ENTITY', help: 'grid export / solar surplus sensor (W or kW) for the surplus policy', fix: ENTITY_FIX },
  power_sensor_inverted: { flag: 'power-sensor-inverted', kind: 'bool', help: 'the power sensor reports export as negative (many grid meters do)', fix: 'use true or false' },
  power_target: { flag: 'power-target', kind: 'string', arg: 'MODE', help: 'mine to a power target: off (default), number (the Power target entity in HA), sensor (power_target_sensor) or surplus (power_sensor, the miners\' own draw given back)', fix: 'use off, number, sensor or surplus' },
  power_target_sensor: { flag: 'power-target-sensor', kind: 'string', arg: 'ENTITY', help: 'a W or kW sensor the power target follows, e.g. EMHASS sensor.p_deferrable0 (sets power_target to sensor)', fix: ENTITY_FIX.replace('sensor.grid_export', 'sensor.p_deferrable0') },
  power_budget: { flag: 'power-budget', kind: 'number', arg: 'W', help: 'static power budget in W (used when no sensor is given, or as a cap)', fix: 'give watts, a number from 0 to 1000000' },
  power_stages: { flag: 'power-stages', kind: 'json', arg: 'W,W,…', help: 'power stages in W that mining follows, e.g. 500,1000,1500', fix: 'give increasing watts separated by commas, e.g. 500,1000,1500' },
  price_sensor: { flag: 'price-sensor', kind: 'string', arg: 'ENTITY', help: 'electricity price sensor', fix: ENTITY_FIX.replace('sensor.grid_export', 'sensor.electricity_price') },
  price_ceiling: { flag: 'price-ceiling', kind: 'number', arg: 'PRICE', help: 'no mining while the price sensor reads above this', fix: 'give a number in the unit of the price sensor, e.g. 0.25' },
  quiet_hours: { flag: 'quiet-hours', kind: 'string', arg: 'HH:MM-HH:MM', help: 'no mining in these hours (local time), e.g. 22:00-07:00; several with commas', fix: 'give ranges like 22:00-07:00 or 12:00-13:30,22:00-06:00' },
  hub_max_load: { flag: 'hub-max-load', kind: 'number', arg: '%', help: 'the hub yields when other programs use more than this much CPU (%)', fix: 'give a percentage from 1 to 100' },
  idle_hold: { flag: 'idle-hold', kind: 'number', arg: 'S', help: 'seconds an appliance must look idle before it counts as idle', fix: 'give seconds from 0 to 86400' },
  idle_power_threshold: { flag: 'idle-power-threshold', kind: 'number', arg: 'W', help: 'power sensors below this many W say idle', fix: 'give watts from 0 to 1000000' },
  include_lights: { flag: 'include-lights', kind: 'bool', help: 'lights count as appliances (off: a light is not an appliance; docs/appliances.md)', fix: 'use true or false' },
  idle_overrides: { flag: 'idle-overrides', kind: 'json', arg: 'JSON', help: 'per device/entity/area/label rules: [{"match_type": "area", "match": "Kitchen", "state": "ignore"}]', fix: 'give a list of {match_type: entity|device|area|label, match, state: auto|idle|busy|ignore, role: auto|load, hold_seconds, power_threshold_w}' },
  worker_mappings: { flag: 'worker-mappings', kind: 'json', arg: 'JSON', help: 'link miners to HA devices: [{"worker": "kitchen-nerdminer", "device": "<device id or name>"}]; a Bitaxe to its AxeOS: {"worker": NAME, "axeos_url": "http://192.168.1.60"}', fix: 'give a list of {worker, device | mac | ip | name | axeos_url}' },
  worker_power: { flag: 'worker-power', kind: 'json', arg: 'JSON', help: 'power a miner or worker draws while it hashes, W, when no power sensor is linked: [{"worker": "garage-bitaxe", "watts": 15}]', fix: 'give a list of {worker, watts} with watts from 0 to 100000' },
  switch_min_on: { flag: 'switch-min-on', kind: 'number', arg: 'S', help: 'a miner switched on through its HA switch stays on at least this long, s (default 300)', fix: 'give seconds from 0 to 86400' },
  switch_min_off: { flag: 'switch-min-off', kind: 'number', arg: 'S', help: 'a miner switched off through its HA switch stays off at least this long, s (default 300)', fix: 'give seconds from 0 to 86400' },
  stratum: { flag: 'stratum', kind: 'bool', negatable: true, help: 'local Stratum endpoint for household miners (--no-stratum: off)', fix: 'use true or false' },
  stratum_port: { flag: 'stratum-port', kind: 'int', arg: 'P', help: 'port of the local Stratum endpoint (default 3333)', fix: 'give a port from 1 to 65535 (0: any free port)' },
  stratum_bind: { flag: 'stratum-bind', kind: 'string', arg: 'ADDR', help: 'address the endpoint listens on; 0.0.0.0 in the add-on, 127.0.0.1 standalone', fix: 'give an IP address, e.g. 0.0.0.0 (all networks) or 127.0.0.1 (this machine only)' },
  stratum_password: { flag: 'stratum-password', kind: 'string', secret: true, arg: 'P', help: 'password household miners must use (none: any)', fix: 'give a password of 1 to 128 characters' },
  share_interval: { flag: 'share-interval', kind: 'number', arg: 'S', help: 'seconds between shares that each miner\'s difficulty aims at (default 10)', fix: 'give seconds from 1 to 3600' },
  max_miners: { flag: 'max-miners', kind: 'int', arg: 'N', help: 'most household miner connections (default 1024)', fix: 'give a whole number from 1 to 100000' },
  max_worker_devices: { flag: 'max-worker-devices', kind: 'int', arg: 'N', help: 'most distinct miner names, each an HA device after its first accepted share; new names beyond are refused (default 32)', fix: 'give a whole number from 1 to 1000' },
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
  node_red_hosts: { flag: 'node-red-hosts', kind: 'string', arg: 'NAME,…', help: 'host names the editor answers to besides loopback and its own addresses (DNS rebinding check), e.g. hub.local', fix: 'give host names separated by commas, e.g. hub.local,hub.example.net' },
  bridge_key: { flag: 'bridge-key', kind: 'string', secret: true, arg: 'KEY', help: 'turns on the MQTT bridge for flows in another Node-RED; every command must carry this key (none: bridge off)', fix: 'give a random key of 16 to 256 characters, e.g. from: openssl rand -hex 16' },
  status_port: { flag: 'status-port', kind: 'int', arg: 'P', help: 'status page and health endpoint (default 8099, the add-on\'s ingress port)', fix: 'give a port from 1 to 65535 (0: any free port)' },
  worker_page_gpu: { flag: 'worker-page-gpu', kind: 'bool', negatable: true, help: 'browser worker pages may hash on their GPU (WebGPU) where the browser has it (default true; off: WebAssembly only)', fix: 'use true or false' },
  status_bind: { flag: 'status-bind', kind: 'string', arg: 'ADDR', help: 'address of the status page; 0.0.0.0 in the add-on (ingress only), 127.0.0.1 standalone', fix: 'give an IP address, e.g. 127.0.0.1' },
  log_level: { flag: 'log-level', kind: 'string', scope: 'both', arg: 'L', help: 'log level: trace, debug, info, warn, error, fatal or silent', fix: 'use trace, debug, info, warn, error, fatal or silent' },
  heap_mb: { flag: 'heap-mb', kind: 'int', arg: 'MB', help: 'Node heap limit in MB (0: Node\'s default; the add-on default is 512)', fix: 'give 0, or megabytes from 64 to 16384' },

  // the worker agent's own settings (`micro-mining worker`)
  hub: { flag: 'hub', kind: 'string', scope: 'worker', arg: 'URL', help: "the hub's Stratum endpoint, stratum+tcp://HUB:3333", fix: 'give the URL of the hub, e.g. stratum+tcp://homeassistant.local:3333' },
  name: { flag: 'name', kind: 'string', scope: 'worker', arg: 'NAME', help: 'worker name shown by the hub (default: this host name)', fix: 'give 1 to 64 letters, digits, dots, dashes or underscores' },
  password: { flag: 'password', kind: 'string', scope: 'worker', secret: true, arg: 'P', help: "the hub endpoint's password, when it has one", fix: 'give the stratum_password of the hub (1 to 128 characters)' },
  nice: { flag: 'nice', kind: 'int', scope: 'worker', arg: 'N', help: 'priority of the hashing threads, 0 (normal) to 19 (the lowest; default)', fix: 'give a whole number from 0 to 19' },
  max_load: { flag: 'max-load', kind: 'number', scope: 'worker', arg: '%', help: 'yield while other programs use more than this much CPU, % (default 50)', fix: 'give a percentage from 1 to 100' },
  resume_after: { flag: 'resume-after', kind: 'number', scope: 'worker', arg: 'S', help: 'seconds the machine must stay quiet before hashing again (default 10)', fix: 'give seconds from 0 to 3600' },
  battery: { flag: 'battery', kind: 'bool', scope: 'worker', negatable: true, help: 'hash on battery too (default false: yield while on battery)', fix: 'use true or false' },
  watts: { flag: 'watts', kind: 'number', scope: 'worker', arg: 'W', help: 'extra power this computer draws while hashing, W (told to the hub for its budget)', fix: 'give watts from 0 to 100000' },
  gpu: { flag: 'gpu', kind: 'bool', scope: 'worker', help: 'also hash on the GPU (WebGPU) where there is one; needs the optional package "webgpu" (npm install webgpu) and a GPU driver', fix: 'use true or false' },
  difficulty: { flag: 'difficulty', kind: 'number', scope: 'worker', arg: 'D', help: 'share difficulty to ask the hub for (default: the hub decides)', fix: 'give a positive number, e.g. 0.001' },
} satisfies Record<string, Field>;

type Table = typeof SETTINGS;
/** The keys the hub reads (start, check-config, the add-on options). */
export type ConfigKey = { [K in keyof Table]: Table[K] extends { scope: 'worker' } ? never : K }[keyof Table];
/** The keys the worker agent reads. */
export type WorkerKey = { [K in keyof Table]: Table[K] extends { scope: 'worker' | 'both' } ? K : never }[keyof Table];

const ALL = Object.keys(SETTINGS) as (keyof Table)[];
const ROW: Record<keyof Table, Field> = SETTINGS;

/** The hub's section of the table, in table order. */
export const FIELDS = Object.fromEntries(ALL.filter((k) => ROW[k].scope !== 'worker').map((k) => [k, ROW[k]])) as { [K in ConfigKey]: Table[K] };
export const KEYS = Object.keys(FIELDS) as ConfigKey[];
export const FIELD: Record<ConfigKey, Field> = FIELDS;

/** The worker's section: its own rows first, then those it shares with the hub (with its own help). */
export const WORKER_FIELDS = Object.fromEntries(
  [...ALL.filter((k) => ROW[k].scope === 'worker'), ...ALL.filter((k) => ROW[k].scope === 'both')].map((k) => {
    const { worker, ...row } = ROW[k];
    return [k, { ...row, ...worker }];
  }),
) as Record<WorkerKey, Field>;
export const WORKER_KEYS = Object.keys(WORKER_FIELDS) as WorkerKey[];

/** The environment variable of a key: MM_ + upper-case flag name. */
export function envName(key: keyof Table): string {
  return `MM_${ROW[key].flag.replace(/-/g, '_').toUpperCase()}`;
}

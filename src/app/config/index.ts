// The one configuration object of the hub: defaults, a configuration file (YAML or JSON; the
// add-on passes /data/options.json), environment variables (MM_ + upper-case flag name) and
// flags, merged (flags win over environment, environment over file) and validated once, with
// messages that name the field, where its value came from, and the fix: every problem at once.
//
// One name per setting everywhere: the flag `--pool-user`, the environment variable
// `MM_POOL_USER` and the key `pool_user` in the configuration file and in the add-on options.
//
// The parts: fields.ts (the hub's section of the settings table in src/settings/), schema.ts and
// values.ts (each setting on its own), sources.ts (flags, environment, file), load.ts (merging),
// resolve.ts (one resolver per section: job source, hashing, power, miners, idle, Stratum, HA,
// MQTT, Node-RED, status, data folder), problems.ts (what is wrong, in a user's words),
// types.ts (Config), print.ts (masked, as file keys, help), secrets.ts, pool-url.ts.
export { FIELDS, type ConfigKey, type Field } from './fields.js';
export { settingsSchema, type Settings } from './schema.js';
export { envName, parseConfigText, parseFlags, readConfigFile, readEnv, type FlagValues } from './sources.js';
export type { QuietHours } from './values.js';
export { maskUrl } from './secrets.js';
export { POOL_URL_PATTERN, poolUrlProblem } from './pool-url.js';
export { loadConfig, type LoadOptions } from './load.js';
export { effectiveOptions, maskSecrets, SECRET_KEYS, settingsHelp } from './print.js';
export {
  ADDON_DATA_DIR,
  ADDON_HA_URL,
  ADDON_OPTIONS_FILE,
  SUPERVISOR_INGRESS_IP,
  type Config,
  type IdleOverrideSetting,
  type WorkerMappingSetting,
} from './types.js';

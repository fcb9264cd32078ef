/** AxeOS miners (Bitaxe and forks): the HTTP client, the lenient reader, discovery, steering and the part. */
export {
  BadReply,
  lenientBool,
  lenientNumber,
  mergeLive,
  normalizeMac,
  parseAsic,
  parseDifficulty,
  parseInfo,
  readingState,
  type AxeosAsicInfo,
  type AxeosReading,
  type AxeosState,
} from './model.js';
export {
  AxeosClient,
  CLIENT_DEFAULTS,
  assertSafeSettings,
  isPassing,
  normalizeAxeosUrl,
  retryDelay,
  statusFailure,
  type AxeosClientOptions,
  type AxeosSettings,
  type Failure,
  type Result,
} from './client.js';
export { LiveFeed, type LiveFeedOptions } from './live.js';
export { axeosMappings, crossCheck, isProbeable, normalizeAddress, probeUrl, type AddressPolicy, type AxeosMapping, type MinerIdentity } from './discovery.js';
export {
  PAUSED_WATTS,
  allowedFrequencies,
  decide,
  estimateHashrate,
  estimateWatts,
  frequencyForBudget,
  isSendable,
  restore,
  steps,
  type AxeosStep,
  type DeviceOptions,
  type Reference,
  type SteerAction,
  type SteerInput,
  type UserSettings,
} from './steer.js';
export { AxeosPart, type AxeosEvents, type Remembered, type AxeosPartOptions, type AxeosStatus, type MinerConnected, type PowerReading } from './part.js';
export {
  AXEOS_BINARY_SENSORS,
  AXEOS_FAN_SENSOR,
  AXEOS_SENSORS,
  AXEOS_STATES,
  frequencySelect,
  minerEntities,
  steeredSwitch,
  type AxeosBinarySpec,
  type AxeosSensorSpec,
} from './entities.js';
export { SETTLE_MS, referenceOf, settingsAfter, statusOf, type Miner } from './miner.js';
export { probe, type ProbeOptions, type ProbeResult } from './probe.js';
export { REMEMBERED_MAX, RememberedFile, parseRemembered } from './remembered.js';

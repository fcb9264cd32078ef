// Public face of the MQTT part: HA entities through MQTT device discovery, commands, the embedded broker.
export type { MinerSnapshot, HubSnapshot, WorkerSnapshot, MinerCommand, MiningPolicy, WorkerStatus } from './types.js';
export { POLICIES, WORKER_STATUSES } from './types.js';
export { MqttEntities, type MqttEntitiesOptions, type MqttEntitiesStats } from './publisher.js';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './broker.js';
export { expectedSecondsToBlock, oddsPerDay, earningsSatsPerDay, DEFAULT_BLOCK_REWARD_SATS } from './odds.js';
export { parseCommand, MAX_COMMAND_BYTES, type ParsedCommand } from './commands.js';
export {
  buildModel,
  hubDoc,
  workerDoc,
  workerSlug,
  topics,
  formatNumber,
  DEFAULT_ENTITY_OPTIONS,
  COMMAND_KEYS,
  PAYLOAD_AVAILABLE,
  PAYLOAD_NOT_AVAILABLE,
  PAYLOAD_NONE,
  type EntityOptions,
  type Topics,
  type Model,
  type DeviceDoc,
  type CommandKey,
} from './entities.js';

// Public face of the MQTT part: HA entities through MQTT device discovery, commands, the embedded broker.
export type { ExtraEntity, MinerSnapshot, HubSnapshot, WorkerSnapshot, MinerCommand, MiningPolicy, WorkerStatus, Decision, Connection } from './types.js';
export { POLICIES, WORKER_STATUSES, DECISIONS, CONNECTIONS } from './types.js';
export { describeDecision, type DecisionState, type PlanLike } from './decision.js';
export { MqttEntities, type MqttEntitiesOptions, type MqttEntitiesStats } from './mqtt-entities.js';
export { planSync, ownStateTopics, type SyncPlan, type Published } from './sync-plan.js';
export { CommandRouter, DEFAULT_COMMAND_TIMEOUT_MS, type CommandCounters, type CommandRouterOptions } from './command-router.js';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './broker.js';
export {
  expectedSecondsToBlock,
  oddsPerDay,
  oddsAgainstPerDay,
  earningsSatsPerDay,
  costPerDay,
  parsePriceUnit,
  DEFAULT_BLOCK_REWARD_SATS,
  SECONDS_PER_YEAR,
  type PriceUnit,
} from './odds.js';
export { parseCommand, MAX_COMMAND_BYTES, type ParsedCommand } from './commands.js';
export {
  buildModel,
  hubDoc,
  workerDoc,
  workerSlug,
  topics,
  formatNumber,
  connectionOf,
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

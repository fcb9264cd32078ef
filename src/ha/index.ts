// src/ha: the Home Assistant connection, registries, appliance model and idle classifier.
export type {
  Appliance,
  ApplianceEvent,
  ApplianceRole,
  ApplianceStatus,
  AreaEntry,
  DeviceEntry,
  EntityEntry,
  EntityState,
  IdleOverride,
  IdleRules,
  IgnoredDevice,
  LabelEntry,
  OverrideMatch,
  PowerBudget,
  RegistrySnapshot,
  WorkerMapping,
} from './types.js';
export { DEFAULT_IDLE_STATES, DEFAULT_BUSY_STATES, idleRulesSchema, resolveIdleRules, type IdleRulesInput } from './rules.js';
export { IdleClassifier, type ClassifierOptions, type Warn } from './classifier.js';
export { evaluateEntity, isPowerSensor, isIdleTimeSensor, parseNumber, domainOf } from './entity-eval.js';
export { HaConnection, haConnectionTarget, toWsUrl, type HaConnectionOptions, type HaConnectionState } from './connection.js';
export { HaAppliances, type HaAppliancesOptions, type HaAppliancesStatus } from './appliances.js';
export { parseState } from './parse.js';
export { APPLIANCE_RULES, applianceEvidence, entityVotes, isStatusSensor, type Evidence, type EvidenceKind } from './appliance-rules.js';

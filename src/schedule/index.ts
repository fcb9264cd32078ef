/** Policy and allocation as pure functions: appliances + workers + policy (+ previous state) -> a plan. */
export type {
  ApplianceInput,
  BudgetInput,
  HubInput,
  ManualInput,
  MinerInput,
  Plan,
  Policy,
  PolicyMode,
  QuietHours,
  ScheduleInput,
  ScheduleResult,
  ScheduleState,
  WorkerDecision,
  WorkerState,
} from './types.js';
export { HUB_ID, budgetFor, inQuietHours, localMinutes, pauseAllPlan, schedule } from './plan.js';
export {
  defaultPolicy,
  describeIssues,
  manualInputSchema,
  parsePlan,
  parsePolicy,
  parseScheduleInput,
  parseScheduleState,
  planSchema,
  policySchema,
  scheduleInputSchema,
  type Checked,
  type PolicyInput,
} from './schemas.js';
// The power target: a watt figure met from below, most hashes per joule first, in each worker's own steps.
export type {
  MinTimes,
  PowerAllocation,
  PowerInput,
  PowerOptions,
  PowerPlan,
  PowerResult,
  PowerState,
  PowerStep,
  PowerWorker,
  PowerWorkerKind,
  PowerWorkerState,
  WattSource,
} from './power-types.js';
export { DEFAULT_POWER_OPTIONS, MAX_STEPS, allocatePower, badSteps, fleetMaxW, largestStepW, quantumFor, stepWords } from './power.js';
export {
  ABSURD_W,
  followTarget,
  parseTargetState,
  powerUnitFactor,
  surplusTarget,
  type SurplusSettings,
  type TargetReading,
  type TargetSettings,
  type TargetStatus,
  type TargetTrack,
  type TargetValue,
} from './power-target.js';
export { parsePowerFleet, parsePowerState, powerFleetSchema, powerStateSchema, powerStepSchema, powerWorkerSchema, wattSourceSchema } from './power-schemas.js';
export { bestFigure, powerStatus, type PowerStatus, type PowerStatusWorker, type WorkerPowerReadings } from './power-status.js';
export { axeosSteps, plugSteps, threadSteps, type AxeosReading } from './power-steps.js';
export { POWER_REASON, capByPower, powerCap } from './power-plan.js';
export type { PowerCap } from './power-types.js';

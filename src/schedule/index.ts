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

/** Job sources (upstream pool, practice), the job manager with its work units, share validation and per-worker statistics. */
export { JobManager, prefixBytesFor, type JobManagerOptions, type Layout } from './manager.js';
export {
  PRACTICE_LABEL,
  PracticeSource,
  UpstreamSource,
  merkleBranches,
  practiceJob,
  type JobSource,
  type PracticeOptions,
  type SourceSession,
} from './sources.js';
export { WorkerStats, type BlockEvent, type ShareEvent, type WorkerSnapshot, type WorkerStatsOptions } from './stats.js';
export { SHARE_ERR, shareTarget, validateShare, type JobRecord, type ShareInput, type ValidateOptions, type Validation } from './validate.js';
export { HouseholdMiner, type HouseholdMinerOptions, type HouseholdMinerStats } from './household-miner.js';
